/**
 * The manifest rules beyond the shape (DESIGN.md, "Rules beyond the shape"): placeholders, folder
 * name, auth mode and secrets, key prefixes, firearms, catalogue ids, uniqueness, destructive scopes.
 *
 * They run on the raw parsed value even when the shape is wrong, so one pass reports every problem;
 * each rule checks the types it relies on and stays quiet where the shape check already spoke.
 */
import { AUTH_MODES, SLUG_PATTERN, type Catalog } from '../schema/manifest.ts';
import { didYouMean, newSuggestBudget, type SuggestBudget } from './suggest.ts';
import { oauthRules } from './oauth-rules.ts';
import { clip } from './terminal-text.ts';
import { formatPath, type ParsedYaml, type PathSegment } from './yaml-safe.ts';
import type { ProblemCode } from './problem-codes.ts';
import type { Problem } from './types.ts';

/**
 * The version of the validation rules. BUMP IT whenever a change to this file, the zod schema
 * (pipeline/schema/manifest.ts), the YAML safety limits, decode.ts or the digest could make a
 * manifest that passed before fail now, or give it another digest: plan/sync skip a manifest whose
 * bytes equal the ones last synced only while this version (and the catalogues) are unchanged
 * (see unchanged.ts), so a rule change without a bump would let an old manifest skip the new rule.
 */
export const VALIDATOR_VERSION = 3; // 3: URLs parsed properly (pipeline/schema/url.ts): no whitespace, ports 1..65535, ASCII hosts

/** Verbs that make a scope look like it acts (spends, destroys, speaks, deploys) rather than reads. */
export const DESTRUCTIVE_WORDS = new Set([
  'write', 'delete', 'destroy', 'remove', 'purge', 'publish', 'send', 'broadcast', 'deploy', 'execute',
  'exec', 'create', 'update', 'edit', 'modify', 'insert', 'manage', 'admin', 'cancel', 'revoke', 'invite',
  'merge', 'pay',
]);
/** Words that are actions or the resource acted on (charge_read reads charges): destructive unless a read word qualifies them. */
export const AMBIGUOUS_WORDS = new Set(['refund', 'charge', 'payout', 'transfer', 'post', 'upload', 'push', 'import', 'run']);
const READ_WORDS = new Set(['read', 'readonly', 'view', 'list', 'get', 'search']);

const SNAKE = /^[a-z0-9_]*$/;

/** The words of a scope name: `write_orders`, `chat:write`, `.../youtube.upload`, `sendMessage`. */
export function scopeWords(name: string): string[] {
  // The common snake_case name splits on underscores alone (the same words, without three regex passes).
  if (SNAKE.test(name)) return name.split('_').filter(Boolean);
  return name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
}

/** The word that makes a scope name look destructive, or undefined. */
export function looksDestructive(name: string): string | undefined {
  const words = scopeWords(name);
  const strong = words.find((w) => DESTRUCTIVE_WORDS.has(w));
  if (strong) return strong;
  return words.some((w) => READ_WORDS.has(w)) ? undefined : words.find((w) => AMBIGUOUS_WORDS.has(w));
}

/** A scaffold placeholder: a value that is or begins with TODO (case-sensitive, so "Todoist" is fine). */
export const PLACEHOLDER_PATTERN = /^\s*TODO/;
/** Secret keys keep their filled prefix, so the field part may be the placeholder: PROVIDER_SHOPIFY_TODO. */
export const KEY_PLACEHOLDER_PATTERN = /(^|_)TODO(_|$)/;
export const isPlaceholder = (s: string): boolean => PLACEHOLDER_PATTERN.test(s);
const isKeyPlaceholder = (s: string): boolean => isPlaceholder(s) || KEY_PLACEHOLDER_PATTERN.test(s);

/** Fields a manifest may leave out, so a placeholder there can also just be deleted. */
const OPTIONAL_FIELD = /^(?:description|docs_url|secrets\[\d+\]\.(?:description|optional)|kpis\[\d+\]\.aggregation)$/;

export const secretKeyPrefix = (slug: string): string => `PROVIDER_${slug.toUpperCase()}_`;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map((x) => (isObj(x) ? x : {})) : []);

export interface RuleOutput {
  errors: Problem[];
  warnings: Problem[];
  /** Paths holding placeholders: other errors at these paths are noise and get dropped. */
  placeholderPaths: Set<string>;
}

/** `budget`: the file's "did you mean" budget, shared with the shape check (see suggest.ts). */
export function manifestRules(value: Obj, parsed: ParsedYaml, file: string, catalog: Catalog, folderSlug: string, budget: SuggestBudget = newSuggestBudget()): RuleOutput {
  const out: RuleOutput = { errors: [], warnings: [], placeholderPaths: new Set() };
  const problem = (path: readonly PathSegment[], code: ProblemCode, message: string, at: 'key' | 'value' = 'value', locateAt: readonly PathSegment[] = path): Problem => ({
    file, ...parsed.locate(locateAt, at), path: formatPath(path), code, message,
  });
  const error = (...a: Parameters<typeof problem>) => out.errors.push(problem(...a));

  // Placeholders anywhere. The path is one mutable stack, copied only on a hit: this runs on
  // every string of every manifest.
  const stack: PathSegment[] = [];
  const visit = (v: unknown) => {
    if (typeof v === 'string') {
      if (!v.includes('TODO')) return;
      const isKey = stack.length === 3 && stack[0] === 'secrets' && stack[2] === 'key';
      if (isKey ? isKeyPlaceholder(v) : isPlaceholder(v)) {
        const path = [...stack];
        out.placeholderPaths.add(formatPath(path));
        error(path, 'todo_placeholder', `the scaffold placeholder ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)} is still here. Replace it with the real value (the template's comments say how)${OPTIONAL_FIELD.test(formatPath(path)) ? ', or delete the line: the field is optional' : ''}.`);
      }
    } else if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        stack.push(i);
        visit(v[i]);
        stack.pop();
      }
    } else if (isObj(v)) {
      for (const k of Object.keys(v)) {
        stack.push(k);
        visit(v[k]);
        stack.pop();
      }
    }
  };
  visit(value);

  const slug = typeof value.provider_slug === 'string' && SLUG_PATTERN.test(value.provider_slug) ? value.provider_slug : undefined;
  if (slug && slug !== folderSlug) {
    error(['provider_slug'], 'slug_mismatch', `provider_slug "${slug}" must equal the folder name "${folderSlug}". Set provider_slug: ${folderSlug}, or move the folder to connectors/${slug}/.`);
  }

  // Auth mode and secrets.
  const secrets = list(value.secrets);
  const authMode = (AUTH_MODES as readonly unknown[]).includes(value.auth_mode) ? value.auth_mode : undefined;
  if (authMode === 'none' && secrets.length > 0) {
    error(['secrets'], 'secrets_not_allowed', 'auth_mode none takes no secrets. Remove the secrets list, or set auth_mode to byok, oauth or oauth_and_byok.', 'key');
  } else if (authMode && authMode !== 'none' && secrets.length === 0 && (value.secrets === undefined || Array.isArray(value.secrets))) {
    const at: PathSegment[] = value.secrets === undefined ? ['auth_mode'] : ['secrets'];
    error(['secrets'], 'secrets_required', `auth_mode ${authMode} needs at least one secret: list the keys the connector loads (e.g. ${secretKeyPrefix(slug ?? folderSlug)}API_KEY), or set auth_mode: none.`, 'key', at);
  }
  const prefix = secretKeyPrefix(slug ?? folderSlug);
  const keysSeen = new Map<string, number>();
  secrets.forEach((s, i) => {
    if (typeof s.key !== 'string' || isKeyPlaceholder(s.key)) return;
    if (!s.key.startsWith(prefix) || s.key.length === prefix.length) {
      error(['secrets', i, 'key'], 'secret_key_prefix', `secret key "${clip(s.key)}" must start with ${prefix} and name the field after it, e.g. ${prefix}API_KEY.`);
    }
    const first = keysSeen.get(s.key);
    if (first !== undefined) error(['secrets', i, 'key'], 'duplicate_secret_key', `secret key "${clip(s.key)}" is already declared in secrets[${first}]. Remove the duplicate.`);
    else keysSeen.set(s.key, i);
  });
  oauthRules(value, [...keysSeen.keys()], authMode as string | undefined, error, budget);

  // Scopes and firearms.
  const firearmIds = catalog.firearmTypes.map((f) => f.id);
  const scopesSeen = new Map<string, number>();
  list(value.scopes).forEach((scope, i) => {
    const name = typeof scope.name === 'string' ? scope.name : undefined;
    if (name !== undefined && !isPlaceholder(name)) {
      const first = scopesSeen.get(name);
      if (first !== undefined) error(['scopes', i, 'name'], 'duplicate_scope', `scope "${clip(name)}" is already declared in scopes[${first}]. Scope names are unique within a connector: remove or rename the duplicate.`);
      else scopesSeen.set(name, i);
    }
    const armed = scope.requires_firearm;
    const type = scope.firearm_type;
    const hasType = type !== undefined && type !== null;
    if (armed === true && !hasType) {
      error(['scopes', i, 'firearm_type'], 'firearm_type_missing', `scope${name ? ` "${clip(name)}"` : ''} requires a firearm, so it needs a firearm_type from pipeline/catalog/firearm-types.yaml (e.g. ${firearmIds.slice(0, 3).join(', ') || 'GENERAL'}). Add firearm_type under requires_firearm.`, 'value', ['scopes', i, 'requires_firearm']);
    } else if (armed === false && hasType) {
      error(['scopes', i, 'firearm_type'], 'firearm_type_without_firearm', `firearm_type is set but requires_firearm is false. If this scope can spend money, destroy data, speak for the business or deploy code, set requires_firearm: true; otherwise remove firearm_type.`, 'key');
    }
    if (armed === true && scope.access === 'read') {
      error(['scopes', i, 'access'], 'firearm_scope_read_only', `scope${name ? ` "${clip(name)}"` : ''} requires a firearm, so it acts and cannot be access: read (a firearm scope is always write, and MCP clients must not be told it is read-only). Set access: write or remove the line; if the scope really only reads, set requires_firearm: false and remove firearm_type.`);
    }
    if (typeof type === 'string' && firearmIds.length && !isPlaceholder(type) && !firearmIds.includes(type)) {
      error(['scopes', i, 'firearm_type'], 'unknown_firearm_type', `unknown firearm type "${clip(type)}".${didYouMean(type, firearmIds, budget)} Types are listed in pipeline/catalog/firearm-types.yaml; use one of them or add the type there in the same pull request.`);
    }
    const word = armed === false && name && !isPlaceholder(name) ? looksDestructive(name) : undefined;
    if (word && armed === false) {
      out.warnings.push(problem(['scopes', i, 'name'], 'destructive_scope_without_firearm', `scope "${clip(name ?? '')}" looks destructive ("${word}") but requires_firearm is false. If it can spend money, destroy data, speak for the business or deploy code, set requires_firearm: true with a firearm_type.`));
    }
  });

  // KPI mappings.
  const kpiIds = catalog.coreKpis.map((k) => k.id);
  const pairsSeen = new Map<string, number>();
  list(value.kpis).forEach((kpi, i) => {
    const std = kpi.standard;
    if (typeof std === 'string' && kpiIds.length && !isPlaceholder(std) && !kpiIds.includes(std)) {
      error(['kpis', i, 'standard'], 'unknown_core_kpi', `unknown core KPI "${clip(std)}".${didYouMean(std, kpiIds, budget)} Core KPIs are listed in pipeline/catalog/core-kpis.yaml; use one of them or add it there in the same pull request.`);
    }
    if (typeof kpi.raw === 'string' && typeof std === 'string') {
      const pair = JSON.stringify([kpi.raw, std]);
      const first = pairsSeen.get(pair);
      if (first !== undefined) error(['kpis', i], 'duplicate_kpi_mapping', `the mapping ${clip(kpi.raw)} -> ${clip(std)} is already declared in kpis[${first}]. Remove the duplicate.`);
      else pairsSeen.set(pair, i);
    }
  });
  return out;
}
