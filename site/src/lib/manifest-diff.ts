/**
 * What changed between the approved manifest and the current one, field by field, so an
 * operator reviewing a `changed` connector sees exactly what they are approving. Pure.
 *
 * List fields are matched by identity (scopes by name, secrets by key, KPIs by raw + standard),
 * so reordering is not reported as a change and a renamed scope shows as removed + added.
 */

export interface FieldChange {
  /** e.g. `display_name`, `scopes[delete_items].requires_firearm`, `secrets[PROVIDER_X_KEY]` */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before: unknown;
  after: unknown;
}

type Obj = Record<string, unknown>;

/** How the items of each list field are identified. */
const LIST_KEYS: Record<string, (item: Obj) => string> = {
  scopes: (s) => String(s.name),
  secrets: (s) => String(s.key),
  kpis: (k) => `${String(k.raw)} → ${String(k.standard)}`,
};

/**
 * Fields in the order the manifest is written (the database returns jsonb keys in its own order);
 * anything else after them.
 */
const FIELD_ORDER = ['schema_version', 'provider_slug', 'display_name', 'description', 'auth_mode', 'docs_url', 'secrets', 'scopes', 'kpis'];
const rank = (field: string) => {
  const i = FIELD_ORDER.indexOf(field);
  return i === -1 ? FIELD_ORDER.length : i;
};

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function diffManifests(before: Obj | null, after: Obj): FieldChange[] {
  const changes: FieldChange[] = [];
  const old = before ?? {};
  const fields = unionKeys(old, after).sort((a, b) => rank(a) - rank(b));
  for (const field of fields) {
    const a = old[field];
    const b = after[field];
    const keyOf = LIST_KEYS[field];
    if (keyOf && (Array.isArray(a) || Array.isArray(b))) {
      changes.push(...diffList(field, asItems(a), asItems(b), keyOf));
    } else {
      pushChange(changes, field, a, b);
    }
  }
  return changes;
}

function diffList(field: string, before: Obj[], after: Obj[], keyOf: (item: Obj) => string): FieldChange[] {
  const changes: FieldChange[] = [];
  const oldByKey = new Map(before.map((item) => [keyOf(item), item]));
  const newByKey = new Map(after.map((item) => [keyOf(item), item]));
  for (const [key, item] of oldByKey) {
    if (!newByKey.has(key)) changes.push({ path: `${field}[${key}]`, kind: 'removed', before: item, after: undefined });
  }
  for (const [key, item] of newByKey) {
    const prior = oldByKey.get(key);
    if (!prior) {
      changes.push({ path: `${field}[${key}]`, kind: 'added', before: undefined, after: item });
      continue;
    }
    for (const sub of unionKeys(prior, item)) pushChange(changes, `${field}[${key}].${sub}`, prior[sub], item[sub]);
  }
  return changes;
}

function pushChange(changes: FieldChange[], path: string, a: unknown, b: unknown): void {
  if (same(a, b)) return;
  const kind = a === undefined ? 'added' : b === undefined ? 'removed' : 'changed';
  changes.push({ path, kind, before: a, after: b });
}

function unionKeys(a: Obj, b: Obj): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])];
}

function asItems(v: unknown): Obj[] {
  return Array.isArray(v) ? v.filter(isObj) : [];
}

/** A value as the diff shows it: strings bare, objects as compact `key: value` pairs. */
export function showValue(v: unknown): string {
  if (v === undefined || v === null) return '(none)';
  if (typeof v === 'string') return v;
  if (isObj(v)) return Object.entries(v).map(([k, x]) => `${k}: ${showValue(x)}`).join(', ');
  return JSON.stringify(v);
}
