/**
 * `plan` and `sync`: validate everything, read the registry, compute the plan, and (sync) apply
 * it in one transaction under an advisory lock.
 *
 * The transaction is the unit of safety: a sync that fails or is killed leaves the registry as it
 * was, and two syncs at once serialize on the lock; the second then reads what the first wrote and
 * finds nothing (or only the rest) to do. On the embedded registry the wire server already runs one
 * client's transaction at a time (pipeline/registry/session-queue.ts); the lock is what makes the
 * same code correct on a real PostgreSQL.
 */
import type pg from 'pg';
import { migrateWithClient, registryHasSchema } from '../registry/migrate.ts';
import { validateRepo } from '../validate/index.ts';
import type { ValidationResult } from '../validate/types.ts';
import { applyCatalog, applyProviders } from './apply.ts';
import { computePlan, emptySnapshot, planIsEmpty } from './plan.ts';
import { defaultActor, detectCommit } from './provenance.ts';
import { readSnapshot } from './snapshot.ts';
import type { Plan, SyncResult } from './types.ts';

/** Advisory lock key for syncs (transaction-scoped): "cf-sync". */
export const SYNC_LOCK = 0x63662d73;

/** What a sync needs of the database: a pg.Pool does. */
export type Db = Pick<pg.Pool, 'connect'>;
export type Validate = (args: { repoRoot: string }) => Promise<ValidationResult>;

export interface PlanOptions {
  db: Db;
  repoRoot: string;
  /** Default: validateRepo from pipeline/validate. */
  validate?: Validate;
}

export interface SyncOptions extends PlanOptions {
  /** Who runs the sync; default GITHUB_ACTOR or the OS user. */
  actor?: string;
  /** Default: GITHUB_SHA, else `git rev-parse HEAD` in repoRoot, else null. */
  commitSha?: string | null;
  /** Compute the plan under the lock, write nothing (no migrations either). */
  dryRun?: boolean;
  log?: (line: string) => void;
  /** For tests: runs inside the transaction after the plan was applied, before COMMIT. */
  beforeCommit?: (client: pg.PoolClient) => Promise<void>;
}

export interface PlanOutcome {
  validation: ValidationResult;
  /** Absent when validation failed. */
  plan?: Plan;
}

export interface SyncOutcome {
  validation: ValidationResult;
  /** Absent when validation failed: nothing was written. */
  result?: SyncResult;
}

const defaultValidate: Validate = (args) => validateRepo({ repoRoot: args.repoRoot });

/** Validates and plans; never writes. On a database without the schema, plans against an empty registry. */
export async function planSync(opts: PlanOptions): Promise<PlanOutcome> {
  const validation = await (opts.validate ?? defaultValidate)({ repoRoot: opts.repoRoot });
  if (!validation.ok) return { validation };
  const client = await opts.db.connect();
  try {
    // One consistent read, even while a sync commits in between our queries.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await registryHasSchema(client)) ? await readSnapshot(client, validation.connectors) : emptySnapshot();
    await client.query('COMMIT');
    return { validation, plan: computePlan(validation, snapshot) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

export async function runSync(opts: SyncOptions): Promise<SyncOutcome> {
  const startedAt = new Date();
  const validation = await (opts.validate ?? defaultValidate)({ repoRoot: opts.repoRoot });
  if (!validation.ok) return { validation };
  if (opts.dryRun) {
    const { plan } = await planSync({ ...opts, validate: async () => validation });
    return { validation, result: { plan: plan!, sync_id: null, outcome: planIsEmpty(plan!) ? 'noop' : 'applied', dry_run: true } };
  }

  const actor = opts.actor ?? defaultActor();
  const commitSha = opts.commitSha === undefined ? await detectCommit(opts.repoRoot) : opts.commitSha;
  const client = await opts.db.connect();
  let broken = false;
  try {
    await migrateWithClient(client, opts.log);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
    const snapshot = await readSnapshot(client, validation.connectors);
    const plan = computePlan(validation, snapshot);
    const outcome = planIsEmpty(plan) ? 'noop' : 'applied';
    if (outcome === 'applied') {
      await applyCatalog(client, plan, validation.catalog);
      await applyProviders(client, plan, validation.connectors);
    }
    const syncId = await recordSync(client, { plan, outcome, actor, commitSha, startedAt });
    await opts.beforeCommit?.(client);
    await client.query('COMMIT');
    return { validation, result: { plan, sync_id: syncId, outcome, dry_run: false, commit_sha: commitSha, actor } };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    // A connection whose ROLLBACK failed is in an unknown state: drop it rather than reuse it.
    client.release(broken);
  }
}

/** One registry_syncs row and one 'sync' event per sync, plus an event per provider status change. */
async function recordSync(
  client: pg.PoolClient,
  args: { plan: Plan; outcome: 'applied' | 'noop'; actor: string; commitSha: string | null; startedAt: Date },
): Promise<number> {
  const { plan, outcome, actor, commitSha, startedAt } = args;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO registry_syncs (started_at, finished_at, commit_sha, actor, outcome, counts)
     VALUES ($1, clock_timestamp(), $2, $3, $4, $5::jsonb) RETURNING id`,
    [startedAt, commitSha, actor, outcome, JSON.stringify(plan.counts)],
  );
  const syncId = Number(rows[0]!.id);
  await client.query(
    `INSERT INTO registry_events (kind, actor, sync_id, details) VALUES ('sync', $1, $2, $3::jsonb)`,
    [actor, syncId, JSON.stringify({ outcome, commit_sha: commitSha, counts: plan.counts })],
  );
  const statusChanges = plan.providers
    .filter((p) => p.status_before !== null && p.status_before !== p.status_after)
    .map((p) => ({ slug: p.slug, details: { kind: p.kind, from: p.status_before, to: p.status_after, digest: p.digest_after } }));
  if (statusChanges.length > 0) {
    await client.query(
      `INSERT INTO registry_events (provider_slug, kind, actor, sync_id, details)
       SELECT slug, 'status_changed', $1, $2, details FROM jsonb_to_recordset($3::jsonb) AS r(slug text, details jsonb)`,
      [actor, syncId, JSON.stringify(statusChanges)],
    );
  }
  return syncId;
}
