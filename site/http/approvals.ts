/**
 * Approvals (ApprovalsPort) over the registry. Each is one statement: the row changes only if it
 * is still in the state the operator saw (for a provider: the digest shown on the page), and the
 * registry_events row is written in the same statement, so neither exists without the other.
 *
 * These rows: connector_providers (status, approved_*), kpi_mappings (approved_*), registry_events.
 */
import type { ApprovalResult, ApprovalsPort, Queryable } from '../src/lib/ports.ts';

export function createApprovalsPort(db: Queryable): ApprovalsPort {
  return {
    async approveProvider({ slug, digest, actor }) {
      const { rows } = await db.query<{ updated: number; status: string | null; current: string | null }>(
        `WITH upd AS (
           UPDATE connector_providers
              SET status = 'approved', approved_digest = manifest_digest, approved_manifest = manifest,
                  approved_at = now(), approved_by = $3, updated_at = now()
            WHERE provider_slug = $1 AND manifest_digest = $2 AND status IN ('draft', 'changed')
           RETURNING provider_slug, status),
         ev AS (
           INSERT INTO registry_events (provider_slug, kind, actor, details)
           SELECT provider_slug, 'approve', $3, jsonb_build_object('digest', $2::text) FROM upd)
         SELECT (SELECT count(*) FROM upd)::int AS updated,
                p.status, p.manifest_digest AS current
           FROM (SELECT 1) one LEFT JOIN connector_providers p ON p.provider_slug = $1`,
        [slug, digest, actor],
      );
      const r = rows[0];
      if (r?.updated) return { ok: true };
      return explainProvider(r?.status ?? null, r?.current ?? null, digest);
    },
    async approveKpiMapping({ slug, raw_metric, core_kpi, actor }) {
      const { rows } = await db.query<{ updated: number; found: boolean; status: string | null }>(
        `WITH upd AS (
           UPDATE kpi_mappings m
              SET approved_at = now(), approved_by = $4, updated_at = now()
             FROM connector_providers p
            WHERE m.provider_slug = $1 AND m.raw_metric = $2 AND m.core_kpi = $3
              AND p.provider_slug = m.provider_slug AND p.status <> 'retired' AND m.approved_at IS NULL
           RETURNING m.provider_slug),
         ev AS (
           INSERT INTO registry_events (provider_slug, kind, actor, details)
           SELECT provider_slug, 'approve_kpi', $4, jsonb_build_object('raw_metric', $2::text, 'core_kpi', $3::text) FROM upd)
         SELECT (SELECT count(*) FROM upd)::int AS updated,
                EXISTS (SELECT 1 FROM kpi_mappings WHERE provider_slug = $1 AND raw_metric = $2 AND core_kpi = $3) AS found,
                (SELECT status FROM connector_providers WHERE provider_slug = $1) AS status`,
        [slug, raw_metric, core_kpi, actor],
      );
      const r = rows[0];
      if (r?.updated) return { ok: true };
      if (!r?.found) return { ok: false, code: 'not_found', message: `No KPI mapping ${raw_metric} → ${core_kpi} on ${slug}.` };
      if (r.status === 'retired') return { ok: false, code: 'retired', message: `${slug} is retired and read-only.` };
      return { ok: false, code: 'already_approved', message: 'This KPI mapping is already approved.' };
    },
  };
}

function explainProvider(status: string | null, current: string | null, digest: string): ApprovalResult {
  if (status === null) return { ok: false, code: 'not_found', message: 'No such connector.' };
  if (status === 'retired') return { ok: false, code: 'retired', message: 'This connector is retired and read-only.' };
  if (current !== digest) {
    return { ok: false, code: 'stale_digest', message: 'The manifest changed after the page was loaded; review it again before approving.' };
  }
  return { ok: false, code: 'already_approved', message: 'This manifest is already approved.' };
}
