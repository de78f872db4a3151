/**
 * A key name belongs to the connector that first declared it, for good (migration
 * 1769990400000_unique-secret-keys): even after that connector removed the key or was retired,
 * because the vault may still hold the value an operator set for it. The database refuses a
 * violating write; this module makes plan and sync refuse first, with a message naming both
 * connectors, before anything is written.
 *
 * The validator already refuses two manifests on disk sharing a name (pipeline/validate/secret-keys.ts);
 * what only the registry knows is a name owned by a retired connector, by one that removed the
 * key, or by a connector whose manifest the validator skipped as unchanged.
 */
import { sortProblems } from '../validate/repo.ts';
import { locateSecretKeys } from '../validate/secret-keys.ts';
import type { Problem, ValidationResult, ValidConnector } from '../validate/types.ts';
import type { ProviderStatus } from './types.ts';
import type { Queryable } from '../registry/db.ts';
import { JsonbBatch } from './json-batches.ts';


/** Who holds a key name in the registry. */
export interface KeyOwner {
  key_name: string;
  provider_slug: string;
  status: ProviderStatus;
  /** Whether the owner's rows still declare it (false: it removed the key since). */
  declares: boolean;
}

/** A connector of this sync declaring a name another connector owns. */
export interface KeyConflict {
  key_name: string;
  slug: string;
  /** The claimant's manifest, and the index of the key in its secrets. */
  file: string;
  index: number;
  owner: KeyOwner;
}

/** The key names the parsed connectors declare (unchanged ones hold theirs in the registry already). */
export function declaredKeyNames(connectors: ValidConnector[]): string[] {
  const names = new Set<string>();
  for (const c of connectors) if (c.kind === 'parsed') for (const s of c.manifest.secrets) names.add(s.key);
  return [...names];
}

/**
 * The owners of `keys`, read-only. Before the migration that records owners (plan and pr-check
 * never migrate), every connector whose rows declare a name counts as its owner: after the
 * migration the first of them will.
 */
export async function readKeyOwners(client: Queryable, keys: string[]): Promise<KeyOwner[]> {
  if (keys.length === 0) return [];
  const { rows: tables } = await client.query<{ owners: boolean; secrets: boolean }>(
    `SELECT to_regclass('secret_key_owners') IS NOT NULL AS owners, to_regclass('connector_secrets') IS NOT NULL AS secrets`,
  );
  if (!tables[0]?.secrets) return [];
  // Nobody owns a name yet (a first sync): nothing to look up, and no list of every name to send.
  const { rows: held } = await client.query<{ any: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM ${tables[0].owners ? 'secret_key_owners' : 'connector_secrets'}) AS any`,
  );
  if (!held[0]?.any) return [];
  const sql = tables[0].owners
    ? `SELECT o.key_name, o.provider_slug, p.status,
              EXISTS (SELECT 1 FROM connector_secrets s WHERE s.provider_slug = o.provider_slug AND s.key_name = o.key_name) AS declares
         FROM secret_key_owners o JOIN connector_providers p USING (provider_slug)
        WHERE o.key_name IN (SELECT jsonb_array_elements_text($1::jsonb))`
    : `SELECT s.key_name, s.provider_slug, p.status, true AS declares
         FROM connector_secrets s JOIN connector_providers p USING (provider_slug)
        WHERE s.key_name IN (SELECT jsonb_array_elements_text($1::jsonb))`;
  // As a jsonb parameter written into a buffer (json-batches.ts): a sync of 100,000 connectors
  // declares some 200,000 names, which pg would otherwise build into one text[] literal on the heap.
  const names = new JsonbBatch(keys.reduce((n, k) => n + k.length + 3, 16));
  for (const k of keys) names.add(k);
  return (await client.query<KeyOwner>(sql, [names.param()])).rows;
}

/** Pure: each key a parsed connector declares that the registry gives to another connector. */
export function keyConflicts(connectors: ValidConnector[], owners: KeyOwner[]): KeyConflict[] {
  // No owner (a first sync): no manifest need be read, each read being a parse (pipeline/validate/parsed-connector.ts).
  if (owners.length === 0) return [];
  const byKey = new Map<string, KeyOwner[]>();
  for (const o of owners) byKey.set(o.key_name, [...(byKey.get(o.key_name) ?? []), o]);
  const conflicts: KeyConflict[] = [];
  for (const c of connectors) {
    if (c.kind !== 'parsed') continue;
    c.manifest.secrets.forEach((s, index) => {
      const other = byKey.get(s.key)?.find((o) => o.provider_slug !== c.slug);
      if (other) conflicts.push({ key_name: s.key, slug: c.slug, file: c.file, index, owner: other });
    });
  }
  return conflicts;
}

/** Why the owner still holds the name, in a few words. */
function holding(o: KeyOwner): string {
  const file = `connectors/${o.provider_slug}/manifest.yaml`;
  if (o.status === 'retired') return `"${o.provider_slug}" is retired and its tombstone keeps its keys`;
  return o.declares ? `declared in ${file}` : `${file} declared it before and has removed it since`;
}

export function keyConflictMessage(c: KeyConflict): string {
  return (
    `secret key "${c.key_name}" belongs to connector "${c.owner.provider_slug}" in the registry (${holding(c.owner)}). ` +
    `A key name stays with the connector that first declared it, even after it removes the key or is retired, because the vault may still hold the value set for it. ` +
    `Give this key another name (PROVIDER_<SLUG>_<FIELD> with a field no other connector has used).`
  );
}

/**
 * The validation, failed with one problem per conflict at the key's line (read again from the
 * file: the validator does not keep positions). What plan and sync return instead of a plan.
 */
export async function refuseKeyConflicts(validation: ValidationResult, conflicts: KeyConflict[], repoRoot: string): Promise<ValidationResult> {
  const problems: Problem[] = [];
  const positions = new Map<string, Awaited<ReturnType<typeof locateSecretKeys>>>();
  for (const c of conflicts) {
    if (!positions.has(c.slug)) positions.set(c.slug, await locateSecretKeys(repoRoot, c.slug));
    const at = positions.get(c.slug)!.get(c.index) ?? { line: 1, column: 1 };
    problems.push({ file: c.file, ...at, path: `secrets[${c.index}].key`, code: 'secret_key_taken', message: keyConflictMessage(c) });
  }
  const refused = new Set(conflicts.map((c) => c.slug));
  return {
    ...validation,
    ok: false,
    errors: sortProblems([...validation.errors, ...problems]),
    connectors: validation.connectors.filter((c) => !refused.has(c.slug)),
  };
}
