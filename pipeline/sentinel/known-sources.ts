/**
 * What the registry remembers of the last sync for the validator's unchanged-file fast path
 * (pipeline/validate/unchanged.ts): the last sync's validation fingerprint and, per provider not
 * retired, the sha256 of the manifest bytes it synced with the digest they gave. Read-only.
 */
import type pg from 'pg';
import { registryHasSchema } from '../registry/migrate.ts';
import type { KnownSources } from '../validate/unchanged.ts';

type Queryable = Pick<pg.ClientBase, 'query'>;

/** True when the registry has the source-hash columns (migration 1767225600000_source-hashes). */
export async function hasSourceHashes(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_attribute
      WHERE NOT attisdropped
        AND ((attrelid = to_regclass('registry_syncs') AND attname = 'validation_fingerprint')
          OR (attrelid = to_regclass('connector_providers') AND attname = 'source_sha256'))`,
  );
  return rows[0]?.n === 2;
}

/**
 * Undefined when nothing can be skipped: no schema, an older schema, or a last sync that recorded
 * no fingerprint (none yet, or one written by older code).
 */
export async function readKnownSources(client: Queryable): Promise<KnownSources | undefined> {
  if (!(await registryHasSchema(client)) || !(await hasSourceHashes(client))) return undefined;
  const last = await client.query<{ fingerprint: string | null }>(
    // A failed sync (record.ts) wrote no registry content, so it says nothing about what was synced.
    `SELECT validation_fingerprint AS fingerprint FROM registry_syncs WHERE outcome <> 'failed' ORDER BY id DESC LIMIT 1`,
  );
  const fingerprint = last.rows[0]?.fingerprint ?? null;
  if (fingerprint === null) return undefined;
  const { rows } = await client.query<{ slug: string; sha256: string; digest: string }>(
    `SELECT provider_slug AS slug, source_sha256 AS sha256, manifest_digest AS digest
       FROM connector_providers WHERE status <> 'retired' AND source_sha256 IS NOT NULL`,
  );
  return { fingerprint, sources: new Map(rows.map((r) => [r.slug, { sha256: r.sha256, digest: r.digest }])) };
}
