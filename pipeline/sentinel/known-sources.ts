/**
 * What the registry remembers of the last sync for the validator's unchanged-file fast path
 * (pipeline/validate/unchanged.ts): the last sync's validation fingerprint and, per provider not
 * retired, the sha256 of the folder's files it synced with the digest they gave, and the folder's
 * git tree id when it synced a committed folder. Read-only.
 */
import { registryHasSchema } from '../registry/migrate.ts';
import type { KnownSource, KnownSources } from '../validate/unchanged.ts';
import type { ProviderHead } from './types.ts';
import type { Queryable } from '../registry/db.ts';


/**
 * Which bookkeeping columns the registry has: the source hashes (migration
 * 1767225600000_source-hashes) and the git tree ids (1770609600000_source-trees). plan and
 * pr-check never migrate, so an older registry may lack them.
 */
export async function sourceColumns(client: Queryable): Promise<{ hashes: boolean; trees: boolean }> {
  const { rows } = await client.query<{ hashes: number; trees: number }>(
    `SELECT count(*) FILTER (WHERE attname IN ('validation_fingerprint', 'source_sha256'))::int AS hashes,
            count(*) FILTER (WHERE attname = 'source_tree')::int AS trees
       FROM pg_attribute
      WHERE NOT attisdropped
        AND ((attrelid = to_regclass('registry_syncs') AND attname = 'validation_fingerprint')
          OR (attrelid = to_regclass('connector_providers') AND attname IN ('source_sha256', 'source_tree')))`,
  );
  return { hashes: rows[0]?.hashes === 2, trees: rows[0]?.trees === 1 };
}

/** True when the registry has the source-hash columns (migration 1767225600000_source-hashes). */
export async function hasSourceHashes(client: Queryable): Promise<boolean> {
  return (await sourceColumns(client)).hashes;
}

/**
 * Undefined when nothing can be skipped: no schema, an older schema, or a last sync that recorded
 * no fingerprint (none yet, or one written by older code).
 */
export async function readKnownSources(client: Queryable): Promise<KnownSources | undefined> {
  if (!(await registryHasSchema(client))) return undefined;
  const columns = await sourceColumns(client);
  if (!columns.hashes) return undefined;
  const fingerprint = await lastFingerprint(client);
  if (fingerprint === null) return undefined;
  const tree = columns.trees ? 'source_tree' : 'NULL::text';
  const { rows } = await client.query<{ slug: string; sha256: string; digest: string; tree: string | null }>(
    `SELECT provider_slug AS slug, source_sha256 AS sha256, manifest_digest AS digest, ${tree} AS tree
       FROM connector_providers WHERE status <> 'retired' AND source_sha256 IS NOT NULL`,
  );
  return { fingerprint, sources: new Map(rows.map((r) => [r.slug, { sha256: r.sha256, digest: r.digest, tree: r.tree }])) };
}

/** The validation fingerprint of the last sync that wrote (null: none, or one by older code). Needs the source-hash columns. */
export async function lastFingerprint(client: Queryable): Promise<string | null> {
  const last = await client.query<{ fingerprint: string | null }>(
    // A failed sync (record.ts) wrote no registry content, so it says nothing about what was synced.
    `SELECT validation_fingerprint AS fingerprint FROM registry_syncs WHERE outcome <> 'failed' ORDER BY id DESC LIMIT 1`,
  );
  return last.rows[0]?.fingerprint ?? null;
}

/** The same sources, taken from provider rows already read (snapshot.ts readRegistryMemory). Pure. */
export function knownFromHeads(fingerprint: string, heads: readonly ProviderHead[]): KnownSources {
  const sources = new Map<string, KnownSource>();
  for (const h of heads) {
    if (h.status === 'retired' || !h.source_sha256) continue;
    sources.set(h.slug, { sha256: h.source_sha256, digest: h.manifest_digest, tree: h.source_tree ?? null });
  }
  return { fingerprint, sources };
}
