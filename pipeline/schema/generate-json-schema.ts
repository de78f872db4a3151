/**
 * Generates _template/manifest.schema.json from the zod manifest schema, for editors
 * (the `# yaml-language-server: $schema=...` line in every manifest). `npm run schema` rewrites it;
 * a test fails when the committed file differs from what this renders.
 *
 * The zod schema gives the shape (fields, types, lengths, patterns, the URL pattern). The rules
 * beyond the shape (pipeline/validate/rules.ts, oauth-rules.ts) are added here as far as JSON
 * Schema can say them, each from the constant the validator itself uses: no TODO placeholders,
 * the PROVIDER_<SLUG>_ key shape, auth_mode none without secrets and every other mode with some,
 * no oauth block under byok or none, firearm_type when and only when requires_firearm is true, no
 * access: read on a firearm scope, no reserved authorize_params, and firearm_type and
 * kpis[].standard from the catalogues.
 *
 * The catalogue ids are enums read from pipeline/catalog/*.yaml when this runs, so a pull request
 * that adds (or removes) a firearm type or core KPI must regenerate this file with `npm run schema`:
 * pipeline/schema/test/json-schema.test.ts fails until it does.
 *
 * Out of JSON Schema's reach, checked only by `npm run connectors -- validate`: that the key prefix
 * names this manifest's own slug (the schema checks only the PROVIDER_<SLUG>_ shape), that
 * provider_slug equals the folder name, unique scope names, key names and (raw, standard) pairs,
 * oauth key names declared under secrets and distinct, a host with an invalid xn-- label,
 * the YAML rules (duplicate keys, tags, anchors, several documents) and the rules across files
 * (one slug and one key name per connector). pipeline/schema/test/editor-schema-agreement.test.ts
 * lists each with a case.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { FIREARM_CATALOG_FILE, KPI_CATALOG_FILE, validateCatalogText } from '../validate/catalog.ts';
import { AUTH_MODES_WITHOUT_OAUTH, RESERVED_AUTHORIZE_PARAMS } from '../validate/oauth-rules.ts';
import { KEY_PLACEHOLDER_PATTERN, PLACEHOLDER_PATTERN, secretKeyPrefix } from '../validate/rules.ts';
import { AUTH_MODES, NOT_BLANK_PATTERN, SCOPE_ACCESS, SLUG_PATTERN, manifestSchema, type Catalog } from './manifest.ts';
import { DOCS_URL_RULE, OAUTH_ENDPOINT_RULE, urlPattern, urlRuleSummary } from './url.ts';

export const JSON_SCHEMA_FILE = '_template/manifest.schema.json';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The auth mode that takes no secrets (rules.ts: secrets_not_allowed / secrets_required). */
const NO_SECRETS_MODE = 'none';
/** The access a firearm scope may not declare (rules.ts: firearm_scope_read_only). */
const READ_ONLY_ACCESS = 'read';

type Json = Record<string, unknown>;

/**
 * Editors show `patternErrorMessage` instead of "does not match the pattern ..." (an extension of
 * VS Code's JSON service that yaml-language-server reads too; other tools ignore it).
 */
const PATTERN_MESSAGES = new Map<string, string>([
  [NOT_BLANK_PATTERN.source, 'must not be blank.'],
  [urlPattern(DOCS_URL_RULE), urlRuleSummary(DOCS_URL_RULE)],
  [urlPattern(OAUTH_ENDPOINT_RULE), urlRuleSummary(OAUTH_ENDPOINT_RULE)],
]);

/** The JSON Schema text: the input side (defaults make fields optional), stable key order, newline. */
export function renderManifestJsonSchema(catalog: Catalog = readCatalog(REPO_ROOT)): string {
  const schema = z.toJSONSchema(manifestSchema, { io: 'input', target: 'draft-2020-12', override: regexMessage }) as Json;
  addRules(schema, catalog);
  const withTitle = { ...schema, $id: 'https://connector-factory.local/manifest.schema.json', title: 'Connector manifest (schema version 1)' };
  return `${JSON.stringify(withTitle, null, 2)}\n`;
}

/** Both catalogues, validated as the validator reads them; a broken catalogue stops the generator. */
export function readCatalog(repoRoot: string): Catalog {
  const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
  const firearms = validateCatalogText('firearm_types', read(FIREARM_CATALOG_FILE), FIREARM_CATALOG_FILE);
  const kpis = validateCatalogText('core_kpis', read(KPI_CATALOG_FILE), KPI_CATALOG_FILE);
  const first = [...firearms.errors, ...kpis.errors][0];
  if (first) throw new Error(`cannot generate the editor schema from a broken catalogue: ${first.file}:${first.line}:${first.column} ${first.message}`);
  return { firearmTypes: firearms.entries, coreKpis: kpis.entries };
}

/** The node at a path of keys; throws when a field was renamed, so the generator cannot drift silently. */
function at(node: Json, ...keys: string[]): Json {
  let cur: unknown = node;
  for (const key of keys) {
    cur = (cur as Json | undefined)?.[key];
    if (cur === null || typeof cur !== 'object') throw new Error(`the generated JSON Schema has no ${keys.join('.')}: update generate-json-schema.ts`);
  }
  return cur as Json;
}

function allOf(node: Json, ...schemas: Json[]): void {
  node.allOf = [...((node.allOf as Json[] | undefined) ?? []), ...schemas];
}

const when = (field: string, value: Json, then: Json): Json => ({ if: { properties: { [field]: value }, required: [field] }, then });

function addRules(schema: Json, catalog: Catalog): void {
  for (const [constant, list, what] of [[NO_SECRETS_MODE, AUTH_MODES, 'auth mode'], [READ_ONLY_ACCESS, SCOPE_ACCESS, 'access']] as const) {
    if (!(list as readonly string[]).includes(constant)) throw new Error(`the ${what} ${constant} is no longer in the zod schema: update generate-json-schema.ts and rules.ts`);
  }

  // Catalogue ids: enums (editors complete them). The placeholder pass below skips enums.
  at(schema, 'properties', 'scopes', 'items', 'properties', 'firearm_type').enum = catalog.firearmTypes.map((f) => f.id);
  at(schema, 'properties', 'kpis', 'items', 'properties', 'standard').enum = catalog.coreKpis.map((k) => k.id);

  // No TODO placeholders in any text (rules.ts: todo_placeholder); keys also not PROVIDER_X_TODO.
  forbidPlaceholders(schema);
  const key = at(schema, 'properties', 'secrets', 'items', 'properties', 'key');
  const generic = notMatching(PLACEHOLDER_PATTERN, PLACEHOLDER_MESSAGE).pattern;
  key.allOf = (key.allOf as Json[]).filter((sub) => sub.pattern !== generic);
  allOf(key, notMatching(new RegExp(`${PLACEHOLDER_PATTERN.source}|${KEY_PLACEHOLDER_PATTERN.source}`), PLACEHOLDER_MESSAGE));
  // PROVIDER_<SLUG>_<FIELD> (rules.ts: secret_key_prefix), with any slug: JSON Schema cannot read provider_slug.
  allOf(key, {
    pattern: keyPrefixPattern(),
    patternErrorMessage: `must be ${secretKeyPrefix('<slug>')}<FIELD> with this manifest's provider_slug in upper case, e.g. ${secretKeyPrefix('acme')}API_KEY.`,
  });

  // auth_mode and secrets (secrets_not_allowed, secrets_required), auth_mode and oauth (oauth_not_allowed).
  allOf(
    schema,
    when('auth_mode', { const: NO_SECRETS_MODE }, { properties: { secrets: { type: 'array', maxItems: 0 } } }),
    when('auth_mode', { enum: AUTH_MODES.filter((m) => m !== NO_SECRETS_MODE) }, { required: ['secrets'], properties: { secrets: { type: 'array', minItems: 1 } } }),
    when('auth_mode', { enum: [...AUTH_MODES_WITHOUT_OAUTH] }, { properties: { oauth: false } }),
  );

  // Firearms (firearm_type_missing, firearm_type_without_firearm, firearm_scope_read_only).
  allOf(
    at(schema, 'properties', 'scopes', 'items'),
    when('requires_firearm', { const: true }, {
      required: ['firearm_type'],
      properties: {
        access: {
          enum: SCOPE_ACCESS.filter((a) => a !== READ_ONLY_ACCESS),
          errorMessage: `a firearm scope acts, so it cannot be access: ${READ_ONLY_ACCESS}. Leave access out or set it to write.`,
        },
      },
    }),
    when('requires_firearm', { const: false }, { properties: { firearm_type: false } }),
  );

  // authorize_params the site sets itself (oauth_param_reserved).
  const reserved = new RegExp(`^(?:${RESERVED_AUTHORIZE_PARAMS.map(escapeRegex).join('|')})$`);
  allOf(
    at(schema, 'properties', 'oauth', 'properties', 'authorize_params', 'propertyNames'),
    notMatching(reserved, `is set by the site itself on every authorize URL (${RESERVED_AUTHORIZE_PARAMS.join(', ')}): remove it.`),
  );
}

const PLACEHOLDER_MESSAGE = 'the scaffold placeholder TODO is still here: replace it with the real value (any value that is or begins with TODO is refused).';

/** A pattern that holds when `re` matches nowhere in the text: `not` in a form editors can word. */
function notMatching(re: RegExp, message: string): Json {
  if (re.flags) throw new Error(`cannot negate /${re.source}/${re.flags} for the editor schema: flags are not part of a JSON Schema pattern`);
  return { pattern: `^(?![\\s\\S]*(?:${re.source}))`, patternErrorMessage: message };
}

/** zod's own message for a field with one regex, so editors say what the validator says. */
function regexMessage(ctx: { zodSchema: unknown; jsonSchema: Json }): void {
  type Check = { _zod: { def: { format?: string; error?: (issue: object) => unknown } } };
  const checks = ((ctx.zodSchema as { _zod: { def: { checks?: Check[] } } })._zod.def.checks ?? []).filter((c) => c._zod.def.format === 'regex');
  const message = checks.length === 1 ? checks[0]!._zod.def.error?.({}) : undefined;
  if (typeof message === 'string' && typeof ctx.jsonSchema.pattern === 'string') ctx.jsonSchema.patternErrorMessage = `${message}.`;
}

/** Adds the no-placeholder pattern to every free-text string node (not enums, consts or property names). */
function forbidPlaceholders(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(forbidPlaceholders);
  if (node === null || typeof node !== 'object') return;
  const n = node as Json;
  if (typeof n.pattern === 'string' && PATTERN_MESSAGES.has(n.pattern)) n.patternErrorMessage = PATTERN_MESSAGES.get(n.pattern);
  if (n.type === 'string' && n.enum === undefined && n.const === undefined) allOf(n, notMatching(PLACEHOLDER_PATTERN, PLACEHOLDER_MESSAGE));
  for (const [k, v] of Object.entries(n)) {
    if (k === 'propertyNames') continue;
    if (k === 'properties' && v && typeof v === 'object') Object.values(v).forEach(forbidPlaceholders);
    else if (k === 'items' || k === 'additionalProperties' || k === 'allOf' || k === 'anyOf' || k === 'oneOf') forbidPlaceholders(v);
  }
}

/**
 * `^PROVIDER_<slug pattern in upper case>_[A-Z0-9_]+$` from secretKeyPrefix and SLUG_PATTERN: any
 * key that fits its own manifest's slug fits this (the field part is at least one character).
 */
function keyPrefixPattern(): string {
  const marker = '\u0001';
  const [before, after, ...extra] = secretKeyPrefix(marker).split(marker);
  const slug = SLUG_PATTERN.source;
  if (extra.length || after === undefined || !/^\^[^\\^$]*\$$/.test(slug)) {
    throw new Error(`cannot derive the key prefix pattern from secretKeyPrefix and ${slug}: update generate-json-schema.ts`);
  }
  const upper = slug.slice(1, -1).replaceAll('a-z', 'A-Z');
  return `^${escapeRegex(before!)}${upper}${escapeRegex(after)}[A-Z0-9_]+$`;
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export async function writeManifestJsonSchema(repoRoot: string): Promise<string> {
  const file = path.join(repoRoot, JSON_SCHEMA_FILE);
  await writeFile(file, renderManifestJsonSchema(readCatalog(repoRoot)));
  return file;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  writeManifestJsonSchema(REPO_ROOT).then(
    (file) => process.stdout.write(`wrote ${path.relative(REPO_ROOT, file)}\n`),
    (err: unknown) => {
      process.stderr.write(`error: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
