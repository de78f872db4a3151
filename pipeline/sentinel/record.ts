/**
 * A failed sync, on the record: one registry_syncs row with outcome 'failed' and one 'sync' event,
 * so /syncs and /activity show the attempt and why it failed. Written in a short transaction of
 * its own after the failed attempt (rolled back, or refused before it began), so an invalid
 * repository changes no registry content: only this record. This module ONLY inserts into
 * registry_syncs and registry_events, or updates the failed registry_syncs row it wrote last.
 *
 * What it keeps of the failure: counts, and the codes and locations of the first problems (or one
 * line of a registry error). Never a problem's message (it may quote manifest text), never a
 * secret value: a sync never holds one.
 */
import type { Queryable } from '../registry/db.ts';
import type { Problem, ValidationResult } from '../validate/types.ts';
import { transaction, type Db } from './connection.ts';

/** How many problems a failed sync keeps the location of. */
export const FIRST_PROBLEMS = 5;

/** The summary a failed sync's row keeps (registry_syncs.problems). */
export type FailureSummary = InvalidInputSummary | RegistryErrorSummary;
export interface InvalidInputSummary {
  errors: number;
  warnings: number;
  first: Pick<Problem, 'file' | 'line' | 'column' | 'path' | 'code'>[];
  /** How many syncs in a row failed this same way (absent: one). */
  attempts?: number;
}
export interface RegistryErrorSummary {
  error: string;
  code?: string;
  attempts?: number;
}

/** Counts and the first problems' codes and locations of an invalid repository. Pure. */
export function summarizeValidation(validation: Pick<ValidationResult, 'errors' | 'warnings'>): InvalidInputSummary {
  return {
    errors: validation.errors.length,
    warnings: validation.warnings.length,
    first: validation.errors.slice(0, FIRST_PROBLEMS).map(({ file, line, column, path, code }) => ({ file, line, column, path, code })),
  };
}

/** One line of what went wrong in the registry, with PostgreSQL's SQLSTATE when there is one. Pure. */
export function summarizeError(err: unknown): RegistryErrorSummary {
  const message = err instanceof Error ? err.message : String(err);
  const line = (message.split('\n')[0] ?? '').trim() || 'the sync failed without a message';
  const code = (err as { code?: unknown } | null)?.code;
  return {
    error: line.length > 300 ? `${line.slice(0, 299)}…` : line,
    ...(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { code } : {}),
  };
}

export interface FailedSync {
  startedAt: Date;
  actor: string;
  commitSha: string | null;
  worktreeDirty: boolean | null;
  summary: FailureSummary;
}

/**
 * Records a failed sync; returns its registry_syncs id, or null when nothing was recorded: a
 * registry without the schema this needs (never synced, or not migrated since: a failed sync does
 * not migrate), or a registry that failed again while recording (logged, never thrown: the
 * caller's own failure is what the operator must see).
 *
 * The same failure again (the newest sync is a failure with the same problems, commit, worktree
 * state and actor: npm start re-syncs on every save of a broken manifest) is not a new row: that
 * row's finished_at moves and its `attempts` count grows.
 */
export async function recordFailedSync(db: Db, failure: FailedSync, log?: (line: string) => void): Promise<number | null> {
  try {
    return await transaction(db, (client) => recordIn(client, failure));
  } catch (err) {
    log?.(`sync: the failed sync could not be recorded in the registry (${summarizeError(err).error})`);
    return null;
  }
}

/** recordFailedSync inside its transaction. */
async function recordIn(client: Queryable, failure: FailedSync): Promise<number | null> {
  const { rows: cols } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_attribute
      WHERE attrelid = to_regclass('registry_syncs') AND attname IN ('worktree_dirty', 'problems') AND NOT attisdropped`,
  );
  // Nothing written: the transaction ends with nothing to commit.
  if (cols[0]?.n !== 2) return null;
  const summary = JSON.stringify(failure.summary);
  const { rows: again } = await client.query<{ id: string }>(
    `UPDATE registry_syncs s
        SET finished_at = clock_timestamp(),
            problems = jsonb_set(s.problems, '{attempts}', to_jsonb(coalesce((s.problems->>'attempts')::int, 1) + 1))
      WHERE s.id = (SELECT max(id) FROM registry_syncs)
        AND s.outcome = 'failed' AND (s.problems - 'attempts') = $1::jsonb
        AND s.commit_sha IS NOT DISTINCT FROM $2 AND s.worktree_dirty IS NOT DISTINCT FROM $3 AND s.actor = $4
      RETURNING s.id`,
    [summary, failure.commitSha, failure.worktreeDirty, failure.actor],
  );
  if (again[0]) return Number(again[0].id);
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO registry_syncs (started_at, finished_at, commit_sha, worktree_dirty, actor, outcome, counts, problems)
     VALUES ($1, clock_timestamp(), $2, $3, $4, 'failed', '{}'::jsonb, $5::jsonb) RETURNING id`,
    [failure.startedAt, failure.commitSha, failure.worktreeDirty, failure.actor, summary],
  );
  const id = Number(rows[0]!.id);
  await client.query(`INSERT INTO registry_events (kind, actor, sync_id, details) VALUES ('sync', $1, $2, $3::jsonb)`, [
    failure.actor,
    id,
    JSON.stringify({ outcome: 'failed', commit_sha: failure.commitSha, worktree_dirty: failure.worktreeDirty, problems: failure.summary }),
  ]);
  return id;
}
