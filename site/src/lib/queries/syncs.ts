/** The sync history, failed syncs included, newest first, paged by id (keyset) so old pages stay as fast as new ones. */
import type { FailureSummary } from '../../../../pipeline/sentinel/record.ts';
import type { Queryable } from '../ports.ts';

export interface SyncRow {
  id: string;
  started_at: Date;
  finished_at: Date;
  commit_sha: string | null;
  actor: string;
  outcome: 'applied' | 'noop' | 'failed';
  counts: Record<string, Record<string, number>>;
  error: string | null;
  /** The sync read connectors/ or pipeline/catalog/ with uncommitted changes (null: not known). */
  worktree_dirty: boolean | null;
  /** Why a failed sync failed: counts and the first problems' codes and locations. */
  problems: FailureSummary | null;
}

export const SYNCS_PAGE_SIZE = 50;

/** Syncs older than `beforeId` (or the newest), plus the last successful sync time. */
export async function listSyncs(
  db: Queryable,
  beforeId: string | null,
): Promise<{ rows: SyncRow[]; hasMore: boolean; lastSynced: Date | null }> {
  const { rows } = await db.query<SyncRow & { last_synced: Date | null }>(
    `SELECT s.id::text AS id, s.started_at, s.finished_at, s.commit_sha, s.actor, s.outcome, s.counts, s.error, s.worktree_dirty, s.problems,
            (SELECT max(finished_at) FROM registry_syncs WHERE outcome <> 'failed') AS last_synced
     FROM registry_syncs s
     WHERE ($1::bigint IS NULL OR s.id < $1::bigint)
     ORDER BY s.id DESC
     LIMIT $2`,
    [beforeId, SYNCS_PAGE_SIZE + 1],
  );
  const hasMore = rows.length > SYNCS_PAGE_SIZE;
  const page = rows.slice(0, SYNCS_PAGE_SIZE);
  const lastSynced = page[0]?.last_synced ?? null;
  return { rows: page.map(({ last_synced: _, ...r }) => r), hasMore, lastSynced: lastSynced ? new Date(lastSynced) : null };
}
