/**
 * What an operator does in the site: approve a connector (its manifest and every file of its
 * folder), revoke that approval, approve one KPI mapping or all of a connector's at once.
 * The status rules for approvals live here, next to the sentinel's (pipeline/sentinel/plan.ts).
 *
 * An approval is of the exact digest the operator looked at: if a sync changed the manifest
 * between page load and click, the approval is refused (conflict) rather than silently applied
 * to a manifest nobody reviewed. Each approval takes the sync lock, so it never interleaves with a sync.
 */
import type pg from 'pg';
import { inTransaction, SYNC_LOCK, type Connectable } from './db.ts';

export type ApprovalResult =
  | { ok: true; status: 'approved'; already: boolean }
  | { ok: false; code: 'not_found' | 'conflict' | 'retired'; message: string };

/** A pool, or a connection held outside any transaction (db.ts). */
type Db = Connectable;

/** Every approval is one transaction holding the sync lock, so it never interleaves with a sync. */
function inApprovalTransaction<T>(db: Db, fn: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  return inTransaction(db, fn, { lock: SYNC_LOCK });
}

/**
 * Approves provider `slug` at `digest` (the connector digest: manifest and code, see
 * pipeline/schema/digest.ts): status approved, approved_digest/approved_manifest set to the
 * current ones, the folder's files recorded as approved (connector_approved_files), an 'approve'
 * event. Approving an already approved digest is a no-op.
 */
export function approveProvider(db: Db, args: { slug: string; digest: string; actor: string }): Promise<ApprovalResult> {
  return inApprovalTransaction(db, async (client) => {
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
  return inApprovalTransaction(db, async (client) => {
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

export type RevokeApprovalResult =
  | { ok: true; status: 'draft'; from: 'approved' | 'changed'; licencesRevoked: number[]; oneShotsExpired: number }
  | { ok: false; code: 'not_found' | 'retired' | 'connector_not_approved'; message: string };

/**
 * Takes back the approval of provider `slug` (approved, or changed since its approval): it becomes
 * a `draft` again, as if nobody had reviewed it, so the connector no longer starts with its keys
 * and a sync never turns it `approved` again on its own (the sentinel's status follows
 * approved_digest, which is cleared). Touches, in one transaction under the sync lock:
 *  - its connector_providers row (status draft, approved_digest/manifest/at/by cleared) and its
 *    connector_approved_files rows (the file list of the approval that no longer stands);
 *  - its firearm licences not yet revoked or expired: revoked by `actor`, each with a
 *    'licence_revoke' event. They stopped applying anyway when the status left approved, but a
 *    licence is bound to a digest, and approving that same digest again must not bring them back;
 *  - its one-shot request approvals still inside their window: expired (arguments dropped), for
 *    the same reason;
 *  - one 'approval_revoked' registry_events row naming `actor`.
 * KPI mapping approvals are kept: they say a metric means a core KPI, which no code change undoes
 * (a changed mapping loses its approval at sync). Keys stay in the vault.
 */
export function revokeApproval(db: Db, args: { slug: string; actor: string }): Promise<RevokeApprovalResult> {
  return inApprovalTransaction(db, async (client) => {
    const { rows } = await client.query<{ status: string; approved_digest: string | null; approved_by: string | null }>(
      `SELECT status, approved_digest, approved_by FROM connector_providers WHERE provider_slug = $1 FOR UPDATE`,
      [args.slug],
    );
    const row = rows[0];
    if (!row) return { ok: false, code: 'not_found', message: `no connector "${args.slug}" in the registry` };
    if (row.status === 'retired') {
      return { ok: false, code: 'retired', message: `"${args.slug}" is retired (its folder is gone); it has no approval to revoke` };
    }
    if (row.status !== 'approved' && row.status !== 'changed') {
      return {
        ok: false,
        code: 'connector_not_approved',
        message: `"${args.slug}" is ${row.status}: nobody approved it, so there is no approval to revoke`,
      };
    }
    await client.query(
      `UPDATE connector_providers
          SET status = 'draft', approved_digest = NULL, approved_manifest = NULL, approved_at = NULL, approved_by = NULL,
              updated_at = now()
        WHERE provider_slug = $1`,
      [args.slug],
    );
    await client.query(`DELETE FROM connector_approved_files WHERE provider_slug = $1`, [args.slug]);
    const { rows: revoked } = await client.query<{ id: number; firearm_type: string; scope: string | null; uses: number }>(
      `UPDATE firearm_licences SET revoked_at = now(), revoked_by = $2
        WHERE provider_slug = $1 AND revoked_at IS NULL AND expires_at > now()
        RETURNING id::float8 AS id, firearm_type, scope, uses`,
      [args.slug, args.actor],
    );
    revoked.sort((a, b) => a.id - b.id);
    if (revoked.length > 0) {
      await client.query(
        `INSERT INTO registry_events (provider_slug, kind, actor, details)
         SELECT $1, 'licence_revoke', $2, d FROM jsonb_array_elements($3::jsonb) AS d`,
        [
          args.slug,
          args.actor,
          JSON.stringify(revoked.map((l) => ({ licence_id: l.id, firearm_type: l.firearm_type, scope: l.scope, uses: l.uses, reason: 'approval_revoked' }))),
        ],
      );
    }
    const expired = await client.query(
      `UPDATE licence_requests SET status = 'expired', arguments = NULL
        WHERE provider_slug = $1 AND status = 'approved' AND approval_expires_at > now()`,
      [args.slug],
    );
    const oneShotsExpired = expired.rowCount ?? 0;
    const licencesRevoked = revoked.map((l) => l.id);
    await client.query(
      `INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, 'approval_revoked', $2, $3::jsonb)`,
      [
        args.slug,
        args.actor,
        JSON.stringify({
          digest: row.approved_digest,
          approved_by: row.approved_by,
          from: row.status,
          to: 'draft',
          licences_revoked: licencesRevoked,
          one_shots_expired: oneShotsExpired,
        }),
      ],
    );
    return { ok: true, status: 'draft', from: row.status, licencesRevoked, oneShotsExpired };
  });
}

export type ApproveAllKpisResult =
  | { ok: true; approved: { raw_metric: string; core_kpi: string; aggregation: string }[] }
  | { ok: false; code: 'not_found' | 'retired' | 'conflict' | 'connector_not_approved'; message: string };

/**
 * Approves every KPI mapping of provider `slug` that is not approved yet, for a connector that is
 * `approved` at `digest` (the digest the operator's page showed: the mappings come from that
 * manifest, so a sync that changed them meanwhile is refused as a conflict instead of approving
 * mappings nobody saw). Touches: those kpi_mappings rows and one 'approve_kpi' registry_events row
 * per mapping (details as a single approval's, plus `all: true`). None left to approve is a no-op.
 */
export function approveAllKpiMappings(db: Db, args: { slug: string; digest: string; actor: string }): Promise<ApproveAllKpisResult> {
  return inApprovalTransaction(db, async (client) => {
    const { rows } = await client.query<{ status: string; manifest_digest: string }>(
      `SELECT status, manifest_digest FROM connector_providers WHERE provider_slug = $1 FOR SHARE`,
      [args.slug],
    );
    const row = rows[0];
    if (!row) return { ok: false, code: 'not_found', message: `no connector "${args.slug}" in the registry` };
    if (row.status === 'retired') return { ok: false, code: 'retired', message: `"${args.slug}" is retired; its mappings cannot be approved` };
    if (row.manifest_digest !== args.digest) {
      return {
        ok: false,
        code: 'conflict',
        message: `"${args.slug}" changed (its manifest or code) since you opened it, so no mapping was approved; reload the page and review its mappings`,
      };
    }
    if (row.status !== 'approved') {
      return {
        ok: false,
        code: 'connector_not_approved',
        message: `"${args.slug}" is ${row.status}: approve the connector first; all of its mappings can be approved at once only for an approved connector (one by one meanwhile)`,
      };
    }
    const { rows: approved } = await client.query<{ raw_metric: string; core_kpi: string; aggregation: string; position: number }>(
      `UPDATE kpi_mappings SET approved_at = now(), approved_by = $2, updated_at = now()
        WHERE provider_slug = $1 AND approved_at IS NULL
        RETURNING raw_metric, core_kpi, aggregation, position`,
      [args.slug, args.actor],
    );
    approved.sort((a, b) => a.position - b.position);
    if (approved.length > 0) {
      await client.query(
        `INSERT INTO registry_events (provider_slug, kind, actor, details)
         SELECT $1, 'approve_kpi', $2, d FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS e(d, n) ORDER BY n`,
        [args.slug, args.actor, JSON.stringify(approved.map((k) => ({ raw_metric: k.raw_metric, core_kpi: k.core_kpi, aggregation: k.aggregation, all: true })))],
      );
    }
    return { ok: true, approved: approved.map(({ raw_metric, core_kpi, aggregation }) => ({ raw_metric, core_kpi, aggregation })) };
  });
}
