/**
 * What a rendered page depends on besides its URL, read cheaply enough to ask on every request:
 * the registry's generation and vault-agent's key list. Two readings that are equal mean nothing
 * a page shows has changed in between (see REGISTRY_GENERATION_SQL for why that holds).
 */
import { createHash } from 'node:crypto';
import type { Queryable, VaultPort } from '../src/lib/ports.ts';

export type VaultList = Awaited<ReturnType<VaultPort['list']>>;

export interface Freshness {
  /** Equal stamps: same registry generation, same key list. */
  stamp: string;
  /** The key list read for this stamp, handed to the page so it does not ask vault-agent again. */
  vault: VaultList;
}

/**
 * Every registry write leaves a row behind: a sync inserts a registry_syncs row (a no-op too) and
 * events, approvals and key sets insert registry_events rows, each in the transaction that makes
 * the change. So "anything changed" shows as a new row in one of the two tables.
 *
 * max(id) alone would miss a row whose id was drawn before a higher one but committed after it
 * (ids come from a sequence at insert time, not at commit). Syncs and approvals serialize on the
 * sync lock, so that can only happen with the site's own key-set events (which also clear the
 * cache locally); still, the count of rows in the newest window of ids catches such a late row
 * cheaply (an index range scan of at most WINDOW entries), unless WINDOW newer rows were all
 * committed while it was in flight.
 */
const WINDOW = 256;
export const REGISTRY_GENERATION_SQL = `
  SELECT s.max_id::text AS syncs, (SELECT count(*) FROM registry_syncs WHERE id > s.max_id - ${WINDOW})::int AS syncs_tail,
         e.max_id::text AS events, (SELECT count(*) FROM registry_events WHERE id > e.max_id - ${WINDOW})::int AS events_tail
  FROM (SELECT coalesce(max(id), 0) AS max_id FROM registry_syncs) s,
       (SELECT coalesce(max(id), 0) AS max_id FROM registry_events) e`;

/**
 * The registry generation as one string; a failed read throws (the caller then skips the cache).
 * Not a named prepared statement: the embedded registry's wire server shares one PGlite session
 * among all client connections, where a second connection preparing the same name fails.
 */
export async function readRegistryGeneration(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ syncs: string; syncs_tail: number; events: string; events_tail: number }>(REGISTRY_GENERATION_SQL);
  const r = rows[0];
  if (!r) throw new Error('the registry generation query returned no row');
  return `${r.syncs}/${r.syncs_tail}/${r.events}/${r.events_tail}`;
}

/** vault-agent's key list (names and times only, never values) as a stamp part. */
export function vaultFingerprint(list: VaultList): string {
  if (!list.ok) return `unavailable:${list.code}`;
  return list.secrets
    .map((s) => `${s.name}@${s.updated_at}`)
    .sort()
    .join(',');
}

/** One reading of both, the registry and vault-agent asked at once. */
export async function readFreshness(db: Queryable, vault: VaultPort): Promise<Freshness> {
  const [generation, list] = await Promise.all([
    readRegistryGeneration(db),
    vault.list().catch((): VaultList => ({ ok: false, code: 'vault_unavailable', message: '' })),
  ]);
  // Hashed once per reading: a long key list then costs each request a short string compare.
  const stamp = createHash('sha256').update(`${generation}|${vaultFingerprint(list)}`).digest('base64url');
  return { stamp, vault: list };
}
