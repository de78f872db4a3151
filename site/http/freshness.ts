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
 * The registry's generation counter (migration 1770163200000_registry-generation.sql): triggers
 * on every registry table bump it once per writing transaction, at its commit and in the same
 * transaction, whoever writes (sentinel, site, connector runtime, psql). So it is visible exactly
 * when the write is. Read before the page's own queries, an unchanged number means no write
 * committed in between; a write that commits while the page renders makes the page's stamp older
 * than the registry, so the page is rendered again next time, never served stale.
 */
export const REGISTRY_GENERATION_SQL = `SELECT generation::text AS generation FROM registry_generation`;

/**
 * The registry generation as one string; a failed read throws (the caller then skips the cache).
 * Not a named prepared statement: the embedded registry's wire server shares one PGlite session
 * among all client connections, where a second connection preparing the same name fails.
 */
export async function readRegistryGeneration(db: Queryable): Promise<string> {
  const { rows } = await db.query<{ generation: string }>(REGISTRY_GENERATION_SQL);
  const r = rows[0];
  if (!r) throw new Error('the registry_generation table has no row; the registry migrations did not run completely');
  return r.generation;
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
