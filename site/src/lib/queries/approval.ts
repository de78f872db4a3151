/**
 * What the confirmation steps of approving, revoking an approval and replacing a key say beyond
 * the detail view (queries/detail.ts): the licences a revocation ends, and the names a key
 * confirmation shows. Reads only.
 */
import type { Queryable } from '../ports.ts';

export interface OpenLicence {
  id: number;
  firearm_type: string;
  scope: string | null;
  granted_by: string;
  expires_at: Date;
}

/**
 * The connector's licences that are neither revoked nor expired (whether they apply now or wait
 * for the connector to be approved at their digest again), and its one-shot approvals still
 * inside their window: what revoking its approval ends (pipeline/registry/approvals.ts).
 */
export async function getOpenGrants(db: Queryable, slug: string): Promise<{ licences: OpenLicence[]; oneShots: number }> {
  const { rows } = await db.query<{ licences: OpenLicence[]; one_shots: number }>(
    `SELECT
       (SELECT coalesce(json_agg(json_build_object('id', l.id, 'firearm_type', l.firearm_type, 'scope', l.scope,
                 'granted_by', l.granted_by, 'expires_at', l.expires_at) ORDER BY l.id), '[]'::json)
          FROM firearm_licences l WHERE l.provider_slug = $1 AND l.revoked_at IS NULL AND l.expires_at > now()) AS licences,
       (SELECT count(*)::int FROM licence_requests r
         WHERE r.provider_slug = $1 AND r.status = 'approved' AND r.approval_expires_at > now()) AS one_shots`,
    [slug],
  );
  return { licences: rows[0]?.licences ?? [], oneShots: rows[0]?.one_shots ?? 0 };
}

/** The connector's name and the key's label, for the Replace key confirmation. */
export async function getKeyNames(db: Queryable, slug: string, keyName: string): Promise<{ display_name: string; label: string } | null> {
  const { rows } = await db.query<{ display_name: string; label: string }>(
    `SELECT p.display_name, k.label FROM connector_secrets k JOIN connector_providers p USING (provider_slug)
      WHERE k.provider_slug = $1 AND k.key_name = $2`,
    [slug, keyName],
  );
  return rows[0] ?? null;
}
