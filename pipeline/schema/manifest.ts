/**
 * The connector manifest, schema version 1: the single source of truth.
 *
 * TypeScript types are inferred from it, `_template/manifest.schema.json` is generated from it,
 * and the validator runs it. Rules that need more than the shape (catalogue look-ups, TODO
 * placeholders, folder names, cross-file rules) live in `pipeline/validate/`, not here.
 */
import { z } from 'zod';
import { DOCS_URL_RULE, OAUTH_ENDPOINT_RULE, urlPattern, urlProblem, type UrlRule } from './url.ts';

export const SLUG_PATTERN = /^[a-z][a-z0-9_]{1,62}$/;
export const SECRET_KEY_PATTERN = /^[A-Z0-9_]{1,128}$/;
/** Printable, no whitespace: read_orders, chat:write, https://www.googleapis.com/auth/youtube.upload */
export const SCOPE_NAME_PATTERN = /^[\x21-\x7e]{1,200}$/;

export const AUTH_MODES = ['oauth', 'byok', 'oauth_and_byok', 'none'] as const;
export const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'last'] as const;
/** scopes[].access: only `read` is announced read-only to MCP clients; unset means "may write". */
export const SCOPE_ACCESS = ['read', 'write'] as const;

/** Holds a character that trim() keeps: JavaScript's \s is exactly what trim() removes. */
export const NOT_BLANK_PATTERN = /\S/;

const notBlank = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => NOT_BLANK_PATTERN.test(s), { message: 'must not be blank' })
    .meta({ pattern: NOT_BLANK_PATTERN.source });

/**
 * A URL field (pipeline/schema/url.ts): the pattern for editors, and the same pattern plus the
 * WHATWG parser for the validator, whose issue says what is wrong (shape.ts words it).
 */
const urlField = (rule: UrlRule) =>
  z
    .string()
    .superRefine((text, ctx) => {
      const problem = urlProblem(text, rule);
      if (problem) ctx.addIssue({ code: 'invalid_format', format: 'url', message: problem, input: text });
    })
    .meta({ pattern: urlPattern(rule) });

export const secretSchema = z.strictObject({
  key: z
    .string()
    .regex(SECRET_KEY_PATTERN, 'must be PROVIDER_<SLUG>_<FIELD> in [A-Z0-9_], at most 128 characters')
    .describe('The vault key name: PROVIDER_<SLUG in upper case>_<FIELD>.'),
  label: notBlank(80).describe('What the operator sees next to the Set key form.'),
  description: z.string().max(500).optional().describe('Where to find the key in the provider console.'),
  optional: z.boolean().default(false).describe('The connector starts without it.'),
});

export const scopeSchema = z.strictObject({
  name: z
    .string()
    .regex(SCOPE_NAME_PATTERN, 'must be 1..200 printable characters without whitespace')
    .describe("The provider's own scope name, e.g. read_orders or chat:write."),
  description: notBlank(500).describe('What an agent holding this scope can do.'),
  requires_firearm: z
    .boolean()
    .describe('true when the action can spend money, destroy data, speak for the business or deploy code.'),
  firearm_type: z
    .string()
    .regex(/^[A-Z][A-Z0-9_]*$/, 'must be an UPPER_SNAKE firearm type id from the catalogue')
    .optional()
    .describe('Required when and only when requires_firearm is true: an id from pipeline/catalog/firearm-types.yaml.'),
  access: z
    .enum(SCOPE_ACCESS)
    .optional()
    .describe(
      'read: the scope only reads, and MCP clients are told its tool is read-only. write: it can change something. ' +
        'Leave out when unsure: unset means "may write". A firearm scope is always write.',
    ),
});

export const kpiSchema = z.strictObject({
  raw: notBlank(200).describe("The provider's own metric name."),
  standard: z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'must be a lower_snake core KPI id from the catalogue')
    .describe('A core KPI id from pipeline/catalog/core-kpis.yaml.'),
  aggregation: z.enum(AGGREGATIONS).default('sum').describe('How raw values roll up.'),
});

/**
 * An OAuth endpoint: https, or http only on the loopback names (a local stand-in provider). The
 * authorization code, the client secret and the tokens travel to and from these URLs.
 */
export function isAllowedOAuthEndpoint(text: string): boolean {
  return urlProblem(text, OAUTH_ENDPOINT_RULE) === undefined;
}

const oauthEndpoint = (what: string) => urlField(OAUTH_ENDPOINT_RULE).describe(what);

const oauthKey = (what: string) =>
  z.string().regex(SECRET_KEY_PATTERN, 'must be a key name declared under secrets, in [A-Z0-9_]').describe(what);

/** OAuth connect (DESIGN.md "OAuth connect"): where the site sends the operator and the runtime refreshes. */
export const oauthSchema = z.strictObject({
  authorize_url: oauthEndpoint("The provider's authorization endpoint (https; http only on 127.0.0.1 or localhost)."),
  token_url: oauthEndpoint("The provider's token endpoint (https; http only on 127.0.0.1 or localhost)."),
  client_id_key: oauthKey('The key under secrets that holds the OAuth client ID.'),
  client_secret_key: oauthKey('The key under secrets that holds the OAuth client secret; leave out for a public client (PKCE alone).').optional(),
  refresh_token_key: oauthKey('The key under secrets where the grant\'s refresh token is kept.'),
  scope_separator: z.string().length(1, 'must be exactly one character').default(' ').describe('Joins the scopes in the authorize URL; default one space.'),
  authorize_params: z
    .record(z.string(), z.string())
    .optional()
    .describe('Extra query parameters for the authorize URL, as text, e.g. {access_type: offline, prompt: consent}.'),
});

export const manifestSchema = z
  .strictObject({
    schema_version: z.literal(1).describe('Always 1 for this schema.'),
    provider_slug: z
      .string()
      .regex(SLUG_PATTERN, 'must match ^[a-z][a-z0-9_]{1,62}$ (lower case, digits, underscores)')
      .describe('Equal to the folder name under connectors/.'),
    display_name: notBlank(80).describe('The name operators see.'),
    description: z.string().max(500).optional().describe('What the connector does, for the operator reviewing it.'),
    auth_mode: z
      .enum(AUTH_MODES)
      .describe('oauth (user authorizes), byok (operator pastes a key), oauth_and_byok (both), none (no secrets at all).'),
    docs_url: urlField(DOCS_URL_RULE)
      .optional()
      .describe("The provider's API documentation: an https:// URL without spaces, user name or password."),
    secrets: z.array(secretSchema).default([]).describe('The keys the connector loads from the vault.'),
    scopes: z.array(scopeSchema).min(1, 'a connector needs at least one scope'),
    kpis: z.array(kpiSchema).default([]).describe('Mappings of provider metrics to core KPIs.'),
    oauth: oauthSchema
      .optional()
      .describe('OAuth connect, for auth_mode oauth or oauth_and_byok: the operator authorizes the provider from the God Config.'),
  })
  .describe('A connector manifest (schema version 1). See README.md, "Writing a manifest".');

/** A manifest after parsing: defaults applied. */
export type Manifest = z.output<typeof manifestSchema>;
export type ManifestScope = Manifest['scopes'][number];
export type ManifestSecret = Manifest['secrets'][number];
export type ManifestKpi = Manifest['kpis'][number];
export type ManifestOAuth = NonNullable<Manifest['oauth']>;
export type AuthMode = (typeof AUTH_MODES)[number];
export type Aggregation = (typeof AGGREGATIONS)[number];
export type ScopeAccess = (typeof SCOPE_ACCESS)[number];

/** Catalogue files: pipeline/catalog/firearm-types.yaml and core-kpis.yaml. */
export const firearmTypeSchema = z.strictObject({
  id: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'firearm type ids are UPPER_SNAKE'),
  label: notBlank(80),
  description: notBlank(500),
});
export const coreKpiSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9_]*$/, 'core KPI ids are lower_snake'),
  label: notBlank(80),
  description: notBlank(500),
  unit: z.enum(['currency', 'count', 'ratio', 'percent']).optional(),
});
export const firearmCatalogSchema = z.strictObject({
  schema_version: z.literal(1),
  firearm_types: z.array(firearmTypeSchema).min(1),
});
export const kpiCatalogSchema = z.strictObject({
  schema_version: z.literal(1),
  core_kpis: z.array(coreKpiSchema).min(1),
});
export type FirearmType = z.output<typeof firearmTypeSchema>;
export type CoreKpi = z.output<typeof coreKpiSchema>;
export interface Catalog {
  firearmTypes: FirearmType[];
  coreKpis: CoreKpi[];
}
