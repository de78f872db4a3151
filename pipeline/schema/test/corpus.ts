/**
 * The corpus the editor schema is checked on (editor-schema-agreement.test.ts): the six real
 * connectors, the template, a fresh scaffold, and single mutations of the real manifests, valid
 * and each invalid kind, each as YAML text with the folder it would sit in.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { fillTemplateManifest } from '../../scaffold/scaffold.ts';
import { REPO_ROOT } from '../../validate/test/helpers.ts';

type Obj = Record<string, any>;
export interface Case {
  name: string;
  text: string;
  folder: string;
}

const read = (rel: string) => readFileSync(path.join(REPO_ROOT, rel), 'utf8');
export const connectorFolders = readdirSync(path.join(REPO_ROOT, 'connectors'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const parsed = (text: string): Obj => parseAllDocuments(text, { version: '1.2' })[0]!.toJS() as Obj;
const base: Record<string, Obj> = Object.fromEntries(connectorFolders.map((f) => [f, parsed(read(`connectors/${f}/manifest.yaml`))]));

/** The first connector whose manifest fits `pick`: mutations need a byok one, an oauth one, ... */
function baseWhere(pick: (m: Obj) => boolean): string {
  const found = connectorFolders.find((f) => pick(base[f]!));
  if (!found) throw new Error('no connector under connectors/ fits this corpus case: add one, or change the case');
  return found;
}
const BYOK = baseWhere((m) => m.auth_mode === 'byok' && Array.isArray(m.kpis) && m.kpis.length > 0 && typeof m.docs_url === 'string' && !m.oauth);
const OAUTH = baseWhere((m) => m.auth_mode === 'oauth' && m.oauth?.authorize_params && m.oauth?.client_secret_key);
const BOTH = baseWhere((m) => m.auth_mode === 'oauth_and_byok' && m.oauth);
const SMALL = baseWhere((m) => m.secrets?.length === 1 && m.scopes?.length <= 4 && !m.docs_url);

export const cases: Case[] = [];
const add = (name: string, text: string, folder: string) => {
  if (cases.some((c) => c.name === name)) throw new Error(`two corpus cases named ${name}`);
  cases.push({ name, text, folder });
};
/** A case from a connector's parsed manifest, changed by `change`, written back as YAML. */
const mutate = (name: string, folder: string, change: (m: Obj) => void, opts: { folder?: string } = {}) => {
  const m = structuredClone(base[folder]!);
  change(m);
  add(name, stringify(m, { lineWidth: 0 }), opts.folder ?? folder);
};
const firstArmed = (m: Obj): Obj => m.scopes.find((s: Obj) => s.requires_firearm === true);
const firstUnarmed = (m: Obj): Obj => m.scopes.find((s: Obj) => s.requires_firearm === false);
const prefix = (m: Obj) => `PROVIDER_${String(m.provider_slug).toUpperCase()}_`;

// The real connectors, as committed and as written back by a YAML library.
for (const folder of connectorFolders) {
  add(`connectors/${folder} as committed`, read(`connectors/${folder}/manifest.yaml`), folder);
  mutate(`connectors/${folder} written back`, folder, () => {});
}
// The template and a fresh scaffold: TODO everywhere.
add('the template', read('_template/manifest.yaml'), 'fresh');
add('a fresh scaffold', fillTemplateManifest(read('_template/manifest.yaml'), { slug: 'fresh' }), 'fresh');

// Valid variants.
mutate('auth_mode none without secrets', SMALL, (m) => { m.auth_mode = 'none'; delete m.secrets; });
mutate('auth_mode none with an empty secrets list', SMALL, (m) => { m.auth_mode = 'none'; m.secrets = []; });
mutate('docs_url with port, query and fragment', BYOK, (m) => { m.docs_url = 'https://docs.example.com:8443/api/v2?lang=en#orders'; });
mutate('docs_url on an IPv4 address', BYOK, (m) => { m.docs_url = 'https://203.0.113.7/docs'; });
mutate('docs_url with a non-ASCII path and percent escapes', BYOK, (m) => { m.docs_url = 'https://example.com/docs/über%20uns'; });
mutate('docs_url host with underscore and upper case', BYOK, (m) => { m.docs_url = 'https://API_docs.Example.com/'; });
mutate('docs_url without a path', BYOK, (m) => { m.docs_url = 'https://example.com'; });
mutate('oauth endpoints on the loopback stand-in', OAUTH, (m) => { m.oauth.authorize_url = 'http://127.0.0.1:9000/authorize'; m.oauth.token_url = 'http://localhost/token'; });
mutate('a read scope with access: read', BYOK, (m) => { firstUnarmed(m).access = 'read'; });
mutate('a firearm scope with access: write', BYOK, (m) => { firstArmed(m).access = 'write'; });
mutate('text with TODO in the middle, and Todoist', BYOK, (m) => { m.description = 'Reads orders; see the TODO list in Todoist.'; m.display_name = 'Todoist'; });
mutate('kpis left out, secrets optional, empty descriptions', BYOK, (m) => { delete m.kpis; m.secrets[0].optional = true; m.secrets[0].description = ''; m.description = ''; });
mutate('aggregation left out', BYOK, (m) => { delete m.kpis[0].aggregation; });
mutate('a display name of exactly 80 characters', BYOK, (m) => { m.display_name = 'x'.repeat(80); });
// zod and JSON Schema both count code points (an emoji is one character, two UTF-16 units).
mutate('a label of 80 emoji', SMALL, (m) => { m.secrets[0].label = '🔑'.repeat(80); });
mutate('a scope name of 200 printable characters', BYOK, (m) => { m.scopes[0].name = `a:${'b'.repeat(198)}`; });
mutate('scope_separator a comma, other authorize_params', OAUTH, (m) => { m.oauth.scope_separator = ','; m.oauth.authorize_params = { access_type: 'offline', include_granted_scopes: 'true' }; });
mutate('oauth without client_secret_key and authorize_params (PKCE)', OAUTH, (m) => { delete m.oauth.client_secret_key; delete m.oauth.authorize_params; });
mutate('a slug with digits and underscores', SMALL, (m) => { m.provider_slug = 'acme_2shop'; m.secrets[0].key = 'PROVIDER_ACME_2SHOP_API_KEY'; }, { folder: 'acme_2shop' });
mutate('a key whose field is a lone underscore', SMALL, (m) => { m.secrets[0].key = `${prefix(m)}_`; });
mutate('schema_version written 1.0', SMALL, (m) => { m.schema_version = 1.0; });

// Shape: fields, types, lengths, patterns.
mutate('schema_version 2', SMALL, (m) => { m.schema_version = 2; });
mutate('schema_version as text', SMALL, (m) => { m.schema_version = '1'; });
mutate('schema_version missing', SMALL, (m) => { delete m.schema_version; });
mutate('provider_slug in upper case', SMALL, (m) => { m.provider_slug = 'Dummy'; }, { folder: 'Dummy' });
mutate('provider_slug missing', SMALL, (m) => { delete m.provider_slug; });
mutate('display_name missing', SMALL, (m) => { delete m.display_name; });
mutate('display_name empty', SMALL, (m) => { m.display_name = ''; });
mutate('display_name blank', SMALL, (m) => { m.display_name = '   '; });
mutate('display_name blank with a tab and a no-break space', SMALL, (m) => { m.display_name = '\t\u00a0'; });
mutate('display_name of 81 characters', SMALL, (m) => { m.display_name = 'x'.repeat(81); });
mutate('display_name a number', SMALL, (m) => { m.display_name = 42; });
mutate('a label of 81 emoji', SMALL, (m) => { m.secrets[0].label = '🔑'.repeat(81); });
mutate('description of 501 characters', SMALL, (m) => { m.description = 'x'.repeat(501); });
mutate('auth_mode misspelt', SMALL, (m) => { m.auth_mode = 'byk'; });
mutate('auth_mode missing', SMALL, (m) => { delete m.auth_mode; });
mutate('an unknown top-level field', SMALL, (m) => { m.scops = []; });
mutate('secrets a mapping', SMALL, (m) => { m.secrets = { key: m.secrets[0].key }; });
mutate('a secret key in lower case', SMALL, (m) => { m.secrets[0].key = m.secrets[0].key.toLowerCase(); });
mutate('a secret key of 129 characters', SMALL, (m) => { m.secrets[0].key = `${prefix(m)}${'K'.repeat(129 - prefix(m).length)}`; });
mutate('a secret label missing', SMALL, (m) => { delete m.secrets[0].label; });
mutate('a secret label blank', SMALL, (m) => { m.secrets[0].label = ' '; });
mutate('secret optional as text yes', SMALL, (m) => { m.secrets[0].optional = 'yes'; });
mutate('an unknown field in a secret', SMALL, (m) => { m.secrets[0].optinal = true; });
mutate('scopes empty', SMALL, (m) => { m.scopes = []; });
mutate('scopes missing', SMALL, (m) => { delete m.scopes; });
mutate('a scope name with a space', SMALL, (m) => { m.scopes[0].name = 'read items'; });
mutate('a scope name of 201 characters', SMALL, (m) => { m.scopes[0].name = 'a'.repeat(201); });
mutate('a scope name with a non-ASCII letter', SMALL, (m) => { m.scopes[0].name = 'lesen_ä'; });
mutate('a scope description blank', SMALL, (m) => { m.scopes[0].description = '  '; });
mutate('requires_firearm missing', SMALL, (m) => { delete firstUnarmed(m).requires_firearm; });
mutate('requires_firearm as text true', SMALL, (m) => { firstUnarmed(m).requires_firearm = 'true'; });
mutate('a firearm_type in lower case', SMALL, (m) => { firstArmed(m).firearm_type = 'code_delete'; });
mutate('access misspelt', SMALL, (m) => { firstUnarmed(m).access = 'readonly'; });
mutate('an unknown field in a scope', SMALL, (m) => { m.scopes[0].requires_firearms = false; });
mutate('a kpi standard in upper case', BYOK, (m) => { m.kpis[0].standard = 'GROSS_SALES'; });
mutate('a kpi aggregation outside the list', BYOK, (m) => { m.kpis[0].aggregation = 'mean'; });
mutate('a kpi raw blank', BYOK, (m) => { m.kpis[0].raw = ' '; });
mutate('a kpi raw missing', BYOK, (m) => { delete m.kpis[0].raw; });
mutate('kpis null', BYOK, (m) => { m.kpis = null; });
mutate('oauth token_url missing', OAUTH, (m) => { delete m.oauth.token_url; });
mutate('oauth client_id_key in lower case', OAUTH, (m) => { m.oauth.client_id_key = m.oauth.client_id_key.toLowerCase(); });
mutate('oauth scope_separator empty', OAUTH, (m) => { m.oauth.scope_separator = ''; });
mutate('oauth scope_separator two characters', OAUTH, (m) => { m.oauth.scope_separator = ', '; });
mutate('oauth scope_separator two emoji', OAUTH, (m) => { m.oauth.scope_separator = '😀😀'; });
mutate('oauth scope_separator one emoji', OAUTH, (m) => { m.oauth.scope_separator = '😀'; });
mutate('oauth authorize_params with a nested value', OAUTH, (m) => { m.oauth.authorize_params.prompt = { a: 'b' }; });
mutate('oauth authorize_params with a number', OAUTH, (m) => { m.oauth.authorize_params.max_age = 3600; });
mutate('an unknown field in oauth', OAUTH, (m) => { m.oauth.token_uri = m.oauth.token_url; });

// Rules beyond the shape that JSON Schema can say.
mutate('auth_mode none with secrets', SMALL, (m) => { m.auth_mode = 'none'; });
mutate('auth_mode byok without secrets', BYOK, (m) => { delete m.secrets; });
mutate('auth_mode byok with an empty secrets list', BYOK, (m) => { m.secrets = []; });
mutate('auth_mode oauth without secrets (and no oauth block)', OAUTH, (m) => { delete m.secrets; delete m.oauth; });
mutate('auth_mode oauth_and_byok with an empty secrets list', BOTH, (m) => { m.secrets = []; delete m.oauth; });
mutate('an oauth block under byok', OAUTH, (m) => { m.auth_mode = 'byok'; });
mutate('an oauth block under none', OAUTH, (m) => { m.auth_mode = 'none'; m.secrets = []; });
mutate('a firearm scope without firearm_type', BYOK, (m) => { delete firstArmed(m).firearm_type; });
mutate('firearm_type on a scope without a firearm', BYOK, (m) => { firstUnarmed(m).firearm_type = 'GENERAL'; });
mutate('firearm_type not in the catalogue', BYOK, (m) => { firstArmed(m).firearm_type = 'REFUND'; });
mutate('a firearm scope with access: read', BYOK, (m) => { firstArmed(m).access = 'read'; });
mutate('a kpi standard not in the catalogue', BYOK, (m) => { m.kpis[0].standard = 'gross_salez'; });
mutate('a secret key without the PROVIDER_ prefix', BYOK, (m) => { m.secrets[0].key = 'API_KEY'; });
mutate('a secret key that is only the prefix', BYOK, (m) => { m.secrets[0].key = prefix(m); });
mutate('a secret key with the prefix in the wrong place', BYOK, (m) => { m.secrets[0].key = `API_${prefix(m)}KEY`; });
mutate('authorize_params setting scope', OAUTH, (m) => { m.oauth.authorize_params.scope = 'everything'; });
mutate('authorize_params setting redirect_uri', OAUTH, (m) => { m.oauth.authorize_params.redirect_uri = 'https://evil.example/'; });

// TODO placeholders (any value that is or begins with TODO).
mutate('display_name TODO', BYOK, (m) => { m.display_name = 'TODO'; });
mutate('description beginning with TODO', BYOK, (m) => { m.description = 'TODO one or two sentences'; });
mutate('description beginning with spaces and TODO', BYOK, (m) => { m.description = '  TODO later'; });
mutate('auth_mode TODO', BYOK, (m) => { m.auth_mode = 'TODO'; });
mutate('docs_url TODO https://', BYOK, (m) => { m.docs_url = 'TODO https://'; });
mutate('a secret key with a TODO field', BYOK, (m) => { m.secrets[0].key = `${prefix(m)}TODO`; });
mutate('a secret key TODO in the middle', BYOK, (m) => { m.secrets[0].key = `${prefix(m)}TODO_KEY`; });
mutate('a secret label TODO', BYOK, (m) => { m.secrets[0].label = 'TODO what the operator sees'; });
mutate('a secret description TODO', BYOK, (m) => { m.secrets[0].description = 'TODO where to find it'; });
mutate('a scope name TODO', BYOK, (m) => { m.scopes[0].name = 'TODO_read_scope'; });
mutate('a scope description TODO', BYOK, (m) => { m.scopes[0].description = 'TODO what it can do'; });
mutate('requires_firearm TODO', BYOK, (m) => { m.scopes[0].requires_firearm = 'TODO true or false'; });
mutate('a firearm_type TODO', BYOK, (m) => { firstArmed(m).firearm_type = 'TODO'; });
mutate('a kpi raw TODO', BYOK, (m) => { m.kpis[0].raw = 'TODO metric'; });
mutate('a kpi standard TODO', BYOK, (m) => { m.kpis[0].standard = 'TODO a core KPI id'; });
mutate('an oauth authorize_params value TODO', OAUTH, (m) => { m.oauth.authorize_params.prompt = 'TODO'; });
mutate('an oauth key name TODO', OAUTH, (m) => { m.oauth.client_id_key = `${prefix(m)}TODO`; });

// URLs.
const badDocsUrls: Record<string, string> = {
  'docs_url on plain http': 'http://example.com/docs',
  'docs_url with a space': 'https://example.com/docs page',
  'docs_url with a tab': 'https://example.com/docs\tpage',
  'docs_url with a trailing space': 'https://example.com/docs ',
  'docs_url with port 99999': 'https://example.com:99999/',
  'docs_url with port 0': 'https://example.com:0/',
  'docs_url with port 65536': 'https://example.com:65536/',
  'docs_url with a leading-zero port': 'https://example.com:0443/',
  'docs_url with an empty port': 'https://example.com:/docs',
  'docs_url with a user and password': 'https://user:pw@example.com/docs',
  'docs_url with a backslash': 'https://example.com\\docs',
  'docs_url with HTTPS in upper case': 'HTTPS://example.com/',
  'docs_url with one slash': 'https:/example.com/docs',
  'docs_url not a URL': 'see the website',
  'docs_url on ftp': 'ftp://example.com/docs',
  'docs_url on an IPv6 address': 'https://[2001:db8::1]/docs',
  'docs_url with a non-ASCII host': 'https://bücher.example/docs',
  'docs_url with a host ending in a number': 'https://example.123/docs',
  'docs_url with an IPv4 octet over 255': 'https://203.0.113.256/docs',
  'docs_url with a percent in the host': 'https://ex%41mple.com/',
  'docs_url with a label starting with a hyphen': 'https://-docs.example.com/',
  'docs_url with an empty host': 'https:///docs',
  'docs_url with a control character': 'https://example.com/\u0007docs',
  'docs_url empty': '',
  'docs_url null': null as unknown as string,
};
for (const [name, url] of Object.entries(badDocsUrls)) mutate(name, BYOK, (m) => { m.docs_url = url; });
mutate('docs_url with an invalid punycode label', BYOK, (m) => { m.docs_url = 'https://xn--a.example/docs'; });
mutate('oauth token_url on plain http', OAUTH, (m) => { m.oauth.token_url = 'http://accounts.example/o/token'; });
mutate('oauth token_url on http 127.0.0.2', OAUTH, (m) => { m.oauth.token_url = 'http://127.0.0.2/token'; });
mutate('oauth token_url on http localhost.evil.example', OAUTH, (m) => { m.oauth.token_url = 'http://localhost.evil.example/token'; });
mutate('oauth authorize_url with a fragment', OAUTH, (m) => { m.oauth.authorize_url = `${m.oauth.authorize_url}#x`; });
mutate('oauth authorize_url with a user name', OAUTH, (m) => { m.oauth.authorize_url = 'https://me@accounts.example/auth'; });
mutate('oauth token_url with port 70000', OAUTH, (m) => { m.oauth.token_url = 'https://accounts.example:70000/token'; });

// Out of reach (see OUT_OF_REACH in editor-schema-agreement.test.ts).
mutate('provider_slug differs from the folder name', SMALL, () => {}, { folder: 'elsewhere' });
mutate('a secret key prefix naming another slug', BYOK, (m) => { m.secrets[0].key = 'PROVIDER_OTHER_API_KEY'; });
mutate('the same secret key twice', BYOK, (m) => { m.secrets.push({ ...m.secrets[0], label: 'Again' }); });
mutate('the same scope name twice', BYOK, (m) => { m.scopes.push({ ...firstUnarmed(m), description: 'Again' }); });
mutate('the same kpi mapping twice with another aggregation', BYOK, (m) => { m.kpis.push({ ...m.kpis[0], aggregation: 'max' }); });
mutate('oauth.client_id_key not declared under secrets', OAUTH, (m) => { m.oauth.client_id_key = `${prefix(m)}UNDECLARED`; });
mutate('oauth.refresh_token_key the same as client_id_key', OAUTH, (m) => { m.oauth.refresh_token_key = m.oauth.client_id_key; });
const smallText = read(`connectors/${SMALL}/manifest.yaml`);
add('a duplicate YAML key', smallText.replace(/^display_name: .*$/m, (line) => `display_name: First\n${line}`), SMALL);
add('an explicit YAML tag', smallText.replace(/^display_name: /m, 'display_name: !!str '), SMALL);
add('a second YAML document', `${smallText}---\nschema_version: 1\n`, SMALL);
add('a %YAML 1.1 directive', `%YAML 1.1\n---\n${smallText}`, SMALL);
// YAML that both see the same way.
add('requires_firearm: yes (text in YAML 1.2)', smallText.replace(/requires_firearm: false/, 'requires_firearm: yes'), SMALL);
add('the top level a list', '- schema_version: 1\n', SMALL);
add('an empty file', '', SMALL);

