/**
 * Every registry event, newest first, paged by id (keyset: an old page costs what the first does),
 * optionally for one connector and one kind; a sync event comes with its registry_syncs row
 * (outcome, commit, uncommitted work, counts, a failure's problems). Read-only.
 */
import type { ActivityEvent, SyncFacts } from '../event-words.ts';
import type { Queryable } from '../ports.ts';

export const ACTIVITY_PAGE_SIZE = 50;

export interface ActivityFilters {
  /** Events older than this id; null for the newest. */
  before: string | null;
  connector: string | null;
  kind: string | null;
}

type Row = Omit<ActivityEvent, 'sync' | 'at'> & { at: Date | string } & { [K in keyof SyncFacts as `s_${K}`]: SyncFacts[K] | null };

export async function listActivity(db: Queryable, filters: ActivityFilters): Promise<{ rows: ActivityEvent[]; hasMore: boolean }> {
  const { rows } = await db.query<Row>(
    `SELECT e.id::text AS id, e.at, e.kind, e.actor, e.provider_slug, p.display_name, e.sync_id::text AS sync_id, e.details,
            s.id::text AS s_id, s.outcome AS s_outcome, s.commit_sha AS s_commit_sha, s.worktree_dirty AS s_worktree_dirty,
            s.counts AS s_counts, s.problems AS s_problems, s.error AS s_error
       FROM registry_events e
       LEFT JOIN connector_providers p ON p.provider_slug = e.provider_slug
       LEFT JOIN registry_syncs s ON e.kind = 'sync' AND s.id = e.sync_id
      WHERE ($1::bigint IS NULL OR e.id < $1::bigint)
        AND ($2::text IS NULL OR e.provider_slug = $2::text)
        AND ($3::text IS NULL OR e.kind = $3::text)
      ORDER BY e.id DESC
      LIMIT $4`,
    [filters.before, filters.connector, filters.kind, ACTIVITY_PAGE_SIZE + 1],
  );
  const hasMore = rows.length > ACTIVITY_PAGE_SIZE;
  return {
    hasMore,
    rows: rows.slice(0, ACTIVITY_PAGE_SIZE).map((r) => ({
      id: r.id,
      at: new Date(r.at),
      kind: r.kind,
      actor: r.actor,
      provider_slug: r.provider_slug,
      display_name: r.display_name,
      sync_id: r.sync_id,
      details: r.details ?? {},
      sync:
        r.s_id && r.s_outcome
          ? {
              id: r.s_id,
              outcome: r.s_outcome,
              commit_sha: r.s_commit_sha,
              worktree_dirty: r.s_worktree_dirty,
              counts: r.s_counts,
              problems: r.s_problems,
              error: r.s_error,
            }
          : null,
    })),
  };
}

/** The connector's display name, or null when the registry has no such connector. */
export async function connectorName(db: Queryable, slug: string): Promise<string | null> {
  const { rows } = await db.query<{ display_name: string }>(`SELECT display_name FROM connector_providers WHERE provider_slug = $1`, [slug]);
  return rows[0]?.display_name ?? null;
}
