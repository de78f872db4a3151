/**
 * Every problem the validator can report, one entry per situation, in the style of Astro's
 * errors-data.ts: a named constant holding the stable `code` (what `validate --json`, annotations
 * and the registry's sync record carry), a `title` of a few words, and a `hint` saying what to do.
 * The message itself is written where the problem is found, since it names what was found there.
 *
 * `Problem.code` is `ProblemCode`, the union of these codes, so an emitter with a misspelt code does
 * not compile; the README's table of codes is made from `PROBLEM_CATALOGUE` and a test holds it equal
 * (problem-codes.test.ts). A code is a contract: add a new one rather than giving an old one a
 * second meaning, and never reuse a retired one.
 */

export interface ProblemData {
  /** Stable, snake_case; never reused for another situation. */
  readonly code: string;
  /** What happened, in a few words. */
  readonly title: string;
  /** What to do about it. */
  readonly hint: string;
  /** Only a warning (validation still passes); default: an error. */
  readonly severity?: 'warning';
  /**
   * The message, where the situation alone words it (what happened, then what to do); where the
   * message names what was found (a field, a value, a suggestion) the emitter writes it.
   */
  readonly message?: (...args: never[]) => string;
}

// ---------------------------------------------------------------------------------------------
// Files and folders: what is on disk before any YAML is read.

export const ConnectorNotFound = {
  code: 'connector_not_found',
  title: 'Named connector folder does not exist',
  hint: 'Check the name, or create the folder with `npm run connectors -- new <slug>`.',
  message: (folder: string) => `connectors/${folder} does not exist. Create it with npm run connectors -- new ${folder}.`,
} as const satisfies ProblemData;

export const InvalidPath = {
  code: 'invalid_path',
  title: 'Path is not a connector folder or manifest',
  hint: 'Pass `connectors/<slug>` or `connectors/<slug>/manifest.yaml`.',
  message: (shown: string) => `${shown} is not a connector folder or manifest. Pass connectors/<slug> or connectors/<slug>/manifest.yaml.`,
} as const satisfies ProblemData;

export const InvalidFolderName = {
  code: 'invalid_folder_name',
  title: 'Folder name is not a provider slug',
  hint: 'Rename the folder to lower case letters, digits and underscores (`^[a-z][a-z0-9_]{1,62}$`).',
  message: (folder: string) =>
    `the folder name "${folder}" is not a valid provider slug (^[a-z][a-z0-9_]{1,62}$: lower case, digits, underscores). Rename the folder.`,
} as const satisfies ProblemData;

export const MissingManifest = {
  code: 'missing_manifest',
  title: 'Connector folder has no manifest.yaml',
  hint: 'Add one (`npm run connectors -- new <slug>` scaffolds it) or remove the folder.',
  message: (folder: string) => `connectors/${folder}/ has no manifest.yaml. Add one (npm run connectors -- new ${folder} scaffolds it) or remove the folder.`,
} as const satisfies ProblemData;

export const OldManifestName = {
  code: 'old_manifest_name',
  title: 'Manifest still named spec.yaml',
  hint: '`git mv` it to `manifest.yaml` and bring it to `schema_version: 1`.',
  message: (folder: string) =>
    `connectors/${folder}/ has a spec.yaml but no manifest.yaml: spec.yaml is the old name. Rename it (git mv connectors/${folder}/spec.yaml connectors/${folder}/manifest.yaml) and bring it to schema_version 1.`,
} as const satisfies ProblemData;

export const ManifestNotAFile = {
  code: 'manifest_not_a_file',
  title: 'manifest.yaml is not a regular file',
  hint: 'Replace the folder, FIFO or device named manifest.yaml with the manifest file itself.',
  message: (file: string) => `${file} is not a regular file. Make it the connector's manifest file.`,
} as const satisfies ProblemData;

export const Symlink = {
  code: 'symlink',
  title: 'Symbolic link where a real file or folder must be',
  hint: 'Replace the link with the file or folder itself: an approval covers only bytes in the repository.',
} as const satisfies ProblemData;

export const ReadError = {
  code: 'read_error',
  title: 'File or folder cannot be read',
  hint: 'Check its permissions (the message names the system error).',
} as const satisfies ProblemData;

export const FileTooLarge = {
  code: 'file_too_large',
  title: 'Manifest or catalogue over 256 KiB',
  hint: 'Shorten the descriptions, or split the connector.',
} as const satisfies ProblemData;

export const InvalidUtf8 = {
  code: 'invalid_utf8',
  title: 'File is not valid UTF-8',
  hint: 'Save the file as UTF-8.',
} as const satisfies ProblemData;

export const FolderTooManyFiles = {
  code: 'folder_too_many_files',
  title: 'Connector folder holds more than 1,000 files',
  hint: 'A connector folder holds its manifest and code: move data and build output elsewhere.',
} as const satisfies ProblemData;

export const FolderTooLarge = {
  code: 'folder_too_large',
  title: 'Connector folder holds more than 16 MiB',
  hint: 'A connector folder holds its manifest and code: move data and build output elsewhere.',
} as const satisfies ProblemData;

export const FolderTooDeep = {
  code: 'folder_too_deep',
  title: 'Connector folder nests more than 16 folders deep',
  hint: 'Flatten the folder.',
} as const satisfies ProblemData;

export const UnsafeFileName = {
  code: 'unsafe_file_name',
  title: 'File name with control, invisible or bidirectional characters',
  hint: 'Rename the file to plain text.',
} as const satisfies ProblemData;

export const NodeModulesInConnector = {
  code: 'node_modules_in_connector',
  title: 'node_modules inside a connector folder',
  hint: "Remove it: connectors use the root package.json, so Node loads only the repository's reviewed dependencies.",
} as const satisfies ProblemData;

export const SecretFile = {
  code: 'secret_file',
  title: 'Environment file with secrets in a connector folder',
  hint: 'Remove it and set the keys on the site (they go to the vault); a template may be named `.env.example`.',
} as const satisfies ProblemData;

export const NotARegularFile = {
  code: 'not_a_regular_file',
  title: 'FIFO, socket or device in a connector folder',
  hint: 'Remove it from the connector folder.',
} as const satisfies ProblemData;

// ---------------------------------------------------------------------------------------------
// YAML: what the safe parser refuses (yaml-safe.ts).

export const YamlSyntax = {
  code: 'yaml_syntax',
  title: 'YAML syntax error',
  hint: 'Fix the syntax at the place shown; follow-on errors of the same block are counted, not listed.',
} as const satisfies ProblemData;

export const UndefinedAlias = {
  code: 'undefined_alias',
  title: 'Alias to no earlier anchor',
  hint: 'Define the anchor before the alias, or write the value out.',
} as const satisfies ProblemData;

export const NotAMapping = {
  code: 'not_a_mapping',
  title: 'Top level is empty or not a mapping',
  hint: 'Start the file with `schema_version: 1` followed by the fields.',
} as const satisfies ProblemData;

export const MultipleDocuments = {
  code: 'multiple_documents',
  title: 'More than one YAML document',
  hint: 'Keep exactly one document: remove the second `---` and what follows it.',
} as const satisfies ProblemData;

export const YamlVersion = {
  code: 'yaml_version',
  title: '%YAML directive other than 1.2',
  hint: 'Remove the `%YAML` line (YAML 1.1 would read `yes` as true).',
} as const satisfies ProblemData;

export const TooDeep = {
  code: 'too_deep',
  title: 'Nesting too deep',
  hint: 'A manifest is three levels deep: check the brackets and indentation.',
} as const satisfies ProblemData;

export const AliasLimit = {
  code: 'alias_limit',
  title: 'Aliases expand too far (alias bomb)',
  hint: 'Write the values out instead of using anchors and aliases.',
} as const satisfies ProblemData;

export const CustomTag = {
  code: 'custom_tag',
  title: 'YAML tag (`!foo`, `!!binary`)',
  hint: 'Remove the tag and write a plain value.',
} as const satisfies ProblemData;

export const InvalidKey = {
  code: 'invalid_key',
  title: 'Key that is a list, mapping or alias',
  hint: 'Write the key as a plain name like `scopes`.',
} as const satisfies ProblemData;

export const DuplicateKey = {
  code: 'duplicate_key',
  title: 'Same key twice in one mapping',
  hint: 'Remove or merge the duplicate (YAML would silently keep only the last).',
} as const satisfies ProblemData;

// ---------------------------------------------------------------------------------------------
// Shape: the zod schema's issues (shape.ts), for manifests and catalogues alike.

export const UnknownField = {
  code: 'unknown_field',
  title: 'Unknown field',
  hint: 'Fix the spelling (the message suggests the nearest field) or remove it.',
} as const satisfies ProblemData;

export const MissingField = {
  code: 'missing_field',
  title: 'Required field missing',
  hint: 'Add the field (the message says what it takes).',
} as const satisfies ProblemData;

export const InvalidValue = {
  code: 'invalid_value',
  title: 'Value not one of those allowed',
  hint: 'Use one of the values the message lists.',
} as const satisfies ProblemData;

export const InvalidType = {
  code: 'invalid_type',
  title: 'Value of the wrong type',
  hint: 'Write the type the message names; booleans are unquoted `true` or `false`.',
} as const satisfies ProblemData;

export const TooSmall = {
  code: 'too_small',
  title: 'Text too short or list too short',
  hint: 'Lengthen the text or add entries, to the bound the message names.',
} as const satisfies ProblemData;

export const TooBig = {
  code: 'too_big',
  title: 'Text too long or list too long',
  hint: 'Shorten the text or remove entries, to the bound the message names.',
} as const satisfies ProblemData;

export const InvalidFormat = {
  code: 'invalid_format',
  title: 'Text does not match its pattern',
  hint: 'Write it in the pattern the message gives (slugs, key names, ids).',
} as const satisfies ProblemData;

export const InvalidUrl = {
  code: 'invalid_url',
  title: 'URL not allowed',
  hint: 'Use an https:// URL with an ASCII host, no user or password and no whitespace (OAuth endpoints may be http on 127.0.0.1 or localhost).',
} as const satisfies ProblemData;

export const BlankValue = {
  code: 'blank_value',
  title: 'Text that is only whitespace',
  hint: 'Write the text, or remove the field where it is optional.',
} as const satisfies ProblemData;

// ---------------------------------------------------------------------------------------------
// Manifest rules beyond the shape (rules.ts, oauth-rules.ts).

export const TodoPlaceholder = {
  code: 'todo_placeholder',
  title: 'Scaffold placeholder left in',
  hint: "Replace the `TODO` value with the real one (the template's comments say how), or delete an optional field.",
} as const satisfies ProblemData;

export const SlugMismatch = {
  code: 'slug_mismatch',
  title: 'provider_slug differs from the folder name',
  hint: 'Set `provider_slug` to the folder name, or move the folder.',
} as const satisfies ProblemData;

export const SecretsNotAllowed = {
  code: 'secrets_not_allowed',
  title: 'Secrets under auth_mode none',
  hint: 'Remove `secrets`, or set `auth_mode` to byok, oauth or oauth_and_byok.',
} as const satisfies ProblemData;

export const SecretsRequired = {
  code: 'secrets_required',
  title: 'No secrets under an auth mode that needs them',
  hint: 'List the keys the connector loads, or set `auth_mode: none`.',
} as const satisfies ProblemData;

export const SecretKeyPrefix = {
  code: 'secret_key_prefix',
  title: "Key name without this connector's prefix",
  hint: 'Name the key `PROVIDER_<SLUG>_<FIELD>` with this manifest\'s slug.',
} as const satisfies ProblemData;

export const DuplicateSecretKey = {
  code: 'duplicate_secret_key',
  title: 'Same key twice in one manifest',
  hint: 'Remove the duplicate.',
} as const satisfies ProblemData;

export const DuplicateScope = {
  code: 'duplicate_scope',
  title: 'Same scope name twice',
  hint: 'Remove or rename the duplicate.',
} as const satisfies ProblemData;

export const FirearmTypeMissing = {
  code: 'firearm_type_missing',
  title: 'Firearm scope without firearm_type',
  hint: 'Add a `firearm_type` from pipeline/catalog/firearm-types.yaml.',
} as const satisfies ProblemData;

export const FirearmTypeWithoutFirearm = {
  code: 'firearm_type_without_firearm',
  title: 'firearm_type on a scope that needs no firearm',
  hint: 'Set `requires_firearm: true` if the scope acts, else remove `firearm_type`.',
} as const satisfies ProblemData;

export const FirearmScopeReadOnly = {
  code: 'firearm_scope_read_only',
  title: 'Firearm scope marked access: read',
  hint: 'Set `access: write` or remove it; if the scope only reads, it needs no firearm.',
} as const satisfies ProblemData;

export const UnknownFirearmType = {
  code: 'unknown_firearm_type',
  title: 'firearm_type not in the catalogue',
  hint: 'Use a type from pipeline/catalog/firearm-types.yaml (the message suggests the nearest), or add it there in the same pull request.',
} as const satisfies ProblemData;

export const DestructiveScopeWithoutFirearm = {
  code: 'destructive_scope_without_firearm',
  title: 'Scope looks destructive but needs no firearm',
  hint: 'If it can spend money, destroy data, speak for the business or deploy code, set `requires_firearm: true` with a `firearm_type`.',
  severity: 'warning',
} as const satisfies ProblemData;

export const UnknownCoreKpi = {
  code: 'unknown_core_kpi',
  title: 'kpis[].standard not in the catalogue',
  hint: 'Use a KPI from pipeline/catalog/core-kpis.yaml (the message suggests the nearest), or add it there in the same pull request.',
} as const satisfies ProblemData;

export const DuplicateKpiMapping = {
  code: 'duplicate_kpi_mapping',
  title: 'Same (raw, standard) KPI pair twice',
  hint: 'Remove the duplicate.',
} as const satisfies ProblemData;

export const OauthNotAllowed = {
  code: 'oauth_not_allowed',
  title: 'oauth block under byok or none',
  hint: 'Remove `oauth`, or set `auth_mode` to oauth or oauth_and_byok.',
} as const satisfies ProblemData;

export const OauthKeyUndeclared = {
  code: 'oauth_key_undeclared',
  title: 'oauth key name not declared under secrets',
  hint: 'Declare the key under `secrets`, or name one that is.',
} as const satisfies ProblemData;

export const OauthKeyReused = {
  code: 'oauth_key_reused',
  title: 'One key for two oauth roles',
  hint: 'Give the client ID, client secret and refresh token each its own key.',
} as const satisfies ProblemData;

export const OauthParamReserved = {
  code: 'oauth_param_reserved',
  title: 'authorize_params sets a parameter the site sets',
  hint: 'Remove it; the site sets it on every authorize URL.',
} as const satisfies ProblemData;

// ---------------------------------------------------------------------------------------------
// Catalogues (catalog.ts).

export const MissingCatalog = {
  code: 'missing_catalog',
  title: 'Catalogue file missing',
  hint: 'Restore the file in pipeline/catalog/ from the main branch.',
} as const satisfies ProblemData;

export const NotAFile = {
  code: 'not_a_file',
  title: 'Catalogue is not a regular file',
  hint: 'Restore the catalogue file from the main branch.',
} as const satisfies ProblemData;

export const DuplicateCatalogId = {
  code: 'duplicate_catalog_id',
  title: 'Same id twice in a catalogue',
  hint: 'Remove or rename the duplicate.',
} as const satisfies ProblemData;

// ---------------------------------------------------------------------------------------------
// Across connectors (repo.ts, secret-keys.ts) and against the registry (sentinel/key-owners.ts).

export const DuplicateProviderSlug = {
  code: 'duplicate_provider_slug',
  title: 'Two manifests with one provider_slug',
  hint: "Change one of them: each connector's slug is its folder name.",
} as const satisfies ProblemData;

export const SecretKeyShared = {
  code: 'secret_key_shared',
  title: 'Two manifests declare one key name',
  hint: 'Rename the key in one manifest: a key name is one file in the vault.',
} as const satisfies ProblemData;

export const SecretKeyTaken = {
  code: 'secret_key_taken',
  title: 'Key name owned by another connector in the registry',
  hint: 'Give the key another name: a name stays with the connector that first declared it (plan and sync only).',
} as const satisfies ProblemData;

/** Every entry, in the order of the README's table. */
export const PROBLEM_CATALOGUE = [
  ConnectorNotFound, InvalidPath, InvalidFolderName, MissingManifest, OldManifestName, ManifestNotAFile, Symlink, ReadError,
  FileTooLarge, InvalidUtf8, FolderTooManyFiles, FolderTooLarge, FolderTooDeep, UnsafeFileName, NodeModulesInConnector,
  SecretFile, NotARegularFile,
  YamlSyntax, UndefinedAlias, NotAMapping, MultipleDocuments, YamlVersion, TooDeep, AliasLimit, CustomTag, InvalidKey, DuplicateKey,
  UnknownField, MissingField, InvalidValue, InvalidType, TooSmall, TooBig, InvalidFormat, InvalidUrl, BlankValue,
  TodoPlaceholder, SlugMismatch, SecretsNotAllowed, SecretsRequired, SecretKeyPrefix, DuplicateSecretKey, DuplicateScope,
  FirearmTypeMissing, FirearmTypeWithoutFirearm, FirearmScopeReadOnly, UnknownFirearmType, DestructiveScopeWithoutFirearm,
  UnknownCoreKpi, DuplicateKpiMapping, OauthNotAllowed, OauthKeyUndeclared, OauthKeyReused, OauthParamReserved,
  MissingCatalog, NotAFile, DuplicateCatalogId,
  DuplicateProviderSlug, SecretKeyShared, SecretKeyTaken,
] as const;

/** A code the validator may report: a typo in an emitter is a type error. */
export type ProblemCode = (typeof PROBLEM_CATALOGUE)[number]['code'];

const byCode: ReadonlyMap<string, ProblemData> = new Map(PROBLEM_CATALOGUE.map((p) => [p.code, p]));

/** The catalogue entry of a code, or undefined for a string that is not one (from JSON, say). */
export function problemData(code: string): ProblemData | undefined {
  return byCode.get(code);
}

/** The README's table of codes (between its problem-codes markers), one row per entry. */
export function problemCodesTable(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  return [
    '| Code | Meaning | What to do |',
    '| --- | --- | --- |',
    ...PROBLEM_CATALOGUE.map((p) => `| \`${p.code}\`${'severity' in p ? ' (warning)' : ''} | ${cell(p.title)} | ${cell(p.hint)} |`),
  ].join('\n');
}
