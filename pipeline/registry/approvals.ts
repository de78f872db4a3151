/**
 * What an operator does in the site: approve a provider's manifest, approve a KPI mapping.
 * The status rules for approvals live here, next to the sentinel's (pipeline/sentinel/plan.ts).
 *
 * An approval is of the exact digest the operator looked at: if a sync changed the manifest
 * between page load and click, the approval is refused (conflict) rather than silently applied
 * to a manifest nobody reviewed. Each approval takes the sync lock, so it never interleaves with a sync.
 */
import type pg from 'pg';

export type ApprovalResult =
  | { ok: true; status: 'approved'; already: boolean }
  | { ok: false; code: 'not_found' | 'conflict' | 'retired'; message: string };

type Db = Pick<pg.Pool, 'connect'>;

/** Same key as the sentinel's SYNC_LOCK ("cf-sync"); repeated here so the registry does not import the sentinel. */
const SYNC_LOCK = 0x63662d73;

async function inTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Approves provider `slug` at `digest` (the connector digest: manifest and code, see
 * pipeline/schema/digest.ts): status approved, approved_digest/approved_manifest set to the
 * current ones, the folder's files recorded as approved (connector_approved_files), an 'approve'
 * event. Approving an already approved digest is a no-op.
 */
export function approveProvider(db: Db, args: { slug: string; digest: string; actor: string }): Promise<ApprovalResult> {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<{ status: string; manifest_digest: string; approved_digest: string | null }>(
      `SELECT status, manifest_digest, approved_digest FROM connector_providers WHERE provider_slug = $1 FOR UPDATE`,
      [args.slug],
    );
    const row = rows[0];
    if (!row) return { ok: false, code: 'not_found', message: `no connector "${args.slug}" in the registry` };
    if (row.status === 'retired') {
      return { ok: false, code: 'retired', message: `"${args.slug}" is retired (its folder is gone); there is nothing to approve` };
    }
    if (row.manifest_digest !== args.digest) {
      return {
        ok: false,
        code: 'conflict',
        message: `"${args.slug}" changed (its manifest or code) since you opened it; reload the page and review the new version`,
      };
    }
    if (row.status === 'approved' && row.approved_digest === args.digest) return { ok: true, status: 'approved', already: true };
    await client.query(
      `UPDATE connector_providers
          SET status = 'approved', approved_digest = manifest_digest, approved_manifest = manifest,
              approved_at = now(), approved_by = $2, updated_at = now()
        WHERE provider_slug = $1`,
      [args.slug, args.actor],
    );
    // What was approved, file by file: the folder the digest covers, as the last sync recorded it
    // (in the same transaction as the digest, so these rows are exactly that digest's files).
    await client.query(`DELETE FROM connector_approved_files WHERE provider_slug = $1`, [args.slug]);
    await client.query(
      `INSERT INTO connector_approved_files (provider_slug, path, sha256, size, text)
       SELECT provider_slug, path, sha256, size, text FROM connector_files WHERE provider_slug = $1`,
      [args.slug],
    );
    await client.query(
      `INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, 'approve', $2, $3::jsonb)`,
      [args.slug, args.actor, JSON.stringify({ digest: args.digest, from: row.status })],
    );
    return { ok: true, status: 'approved', already: false };
  });
}

/**
 * Approves one KPI mapping. With `aggregation` (what the operator saw), a mapping whose aggregation
 * changed meanwhile is refused (conflict); the approved aggregation is recorded in the event.
 */
export function approveKpiMapping(
  db: Db,
  args: { slug: string; raw_metric: string; core_kpi: string; actor: string; aggregation?: string },
): Promise<{ ok: true; already: boolean } | { ok: false; code: 'not_found' | 'retired' | 'conflict'; message: string }> {
  return inTransaction(db, async (client) => {
    const { rows } = await client.query<{ aggregation: string; approved_at: Date | null; status: string }>(
      `SELECT k.aggregation, k.approved_at, p.status
         FROM kpi_mappings k JOIN connector_providers p USING (provider_slug)
        WHERE k.provider_slug = $1 AND k.raw_metric = $2 AND k.core_kpi = $3 FOR UPDATE OF k`,
      [args.slug, args.raw_metric, args.core_kpi],
    );
    const row = rows[0];
    if (!row) {
      return { ok: false, code: 'not_found', message: `"${args.slug}" has no KPI mapping ${args.raw_metric} -> ${args.core_kpi}` };
    }
    if (row.status === 'retired') return { ok: false, code: 'retired', message: `"${args.slug}" is retired; its mappings cannot be approved` };
    if (args.aggregation !== undefined && args.aggregation !== row.aggregation) {
      return {
        ok: false,
        code: 'conflict',
        message: `the mapping ${args.raw_metric} -> ${args.core_kpi} now aggregates by ${row.aggregation}, not ${args.aggregation}; reload and review it`,
      };
    }
    if (row.approved_at) return { ok: true, already: true };
    await client.query(
      `UPDATE kpi_mappings SET approved_at = now(), approved_by = $4, updated_at = now()
        WHERE provider_slug = $1 AND raw_metric = $2 AND core_kpi = $3`,
      [args.slug, args.raw_metric, args.core_kpi, args.actor],
    );
    await client.query(
      `INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, 'approve_kpi', $2, $3::jsonb)`,
      [args.slug, args.actor, JSON.stringify({ raw_metric: args.raw_metric, core_kpi: args.core_kpi, aggregation: row.aggregation })],
    );
    return { ok: true, already: false };
  });
}
