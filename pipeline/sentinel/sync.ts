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
import { lstatSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { migrateWithClient } from '../registry/migrate.ts';
import { isConnectionLost } from '../registry/pool.ts';
import { readKeptTexts } from '../validate/connector-folder.ts';
import { validateRepo } from '../validate/index.ts';
import type { ValidationResult } from '../validate/types.ts';
import { loadCatalog, type LoadedCatalog } from '../validate/catalog.ts';
import { validationFingerprint } from '../validate/unchanged.ts';
import { analyzeAfterSync } from './analyze.ts';
import { dirtyFoldersHold, matchesBaseline, readBaseline, vouchedRoots, writeBaseline, type Baseline } from './baseline.ts';
import { applyCatalog, applyProviders, applySourceHashes } from './apply.ts';
import { readFolderSources, stampTrees } from './changed-folders.ts';
import { withConnection, type Db } from './connection.ts';
import { applyConnectorFiles, recordApprovedFiles } from './files.ts';
import { declaredKeyNames, keyConflicts, readKeyOwners, refuseKeyConflicts } from './key-owners.ts';
import { makePlan, planIsEmpty } from './plan.ts';
import { defaultValidate, planRegistry, planSync, validateStamped, type PlanOptions } from './planning.ts';
import { changedEntries, CONNECTORS_DIR, readGitFolders, type GitFolders, type Roots } from './git-folders.ts';
import type { GitSource } from './git-since.ts';
import { defaultActor, detectCommit, worktreeDirtyFrom } from './provenance.ts';
import { recordFailedSync, summarizeError, summarizeValidation, type FailureSummary } from './record.ts';
import { readRegistryMemory, readSnapshot, type RegistryMemory } from './snapshot.ts';
import type { Plan, SyncResult } from './types.ts';
import { SYNC_LOCK } from '../registry/db.ts';

/** The sync lock key, re-exported for callers of the sentinel. */
export { SYNC_LOCK };

export { planSync };
export type { Db };
export type { PlanOptions, PlanOutcome, Validate } from './planning.ts';

export interface SyncOptions extends PlanOptions {
  db: Db;
  /** Who runs the sync; default GITHUB_ACTOR or the OS user. */
  actor?: string;
  /** Default: GITHUB_SHA, else `git rev-parse HEAD` in repoRoot, else null. */
  commitSha?: string | null;
  /** Whether connectors/ or pipeline/catalog/ hold uncommitted changes; default `git status` in repoRoot (null: not known). */
  worktreeDirty?: boolean | null;
  /** Compute the plan under the lock, write nothing (no migrations either). */
  dryRun?: boolean;
  log?: (line: string) => void;
  /** For tests: runs inside the transaction after the plan was applied, before COMMIT. */
  beforeCommit?: (client: pg.PoolClient) => Promise<void>;
  /** Where git's view of the checkout comes from (npm start: its watcher, git-since.ts); default: git is asked here. */
  git?: GitSource;
}

export interface SyncOutcome {
  validation: ValidationResult;
  /** Absent when validation failed: no registry content was written. */
  result?: SyncResult;
  /** When validation failed: the registry_syncs row recording the failure (record.ts), or null when none could be written. */
  failed_sync_id?: number | null;
}

/** Who ran a sync and what it read, for its registry_syncs row. */
interface Provenance {
  actor: string;
  commitSha: string | null;
  worktreeDirty: boolean | null;
}

/**
 * A sync, and the record of its failure: invalid input, a key name another connector owns, or an
 * error of the registry after it answered is recorded as a failed sync (record.ts) once the attempt
 * was rolled back. Not recorded: a registry that cannot be reached or whose connection was lost
 * (nothing to write to), a commit whose outcome is unknown, and a dry run.
 */
export async function runSync(opts: SyncOptions): Promise<SyncOutcome> {
  const startedAt = new Date();
  if (opts.dryRun) {
    const { validation, plan } = await planSync(opts);
    if (!plan) return { validation };
    return { validation, result: { plan, sync_id: null, outcome: planIsEmpty(plan) ? 'noop' : 'applied', dry_run: true } };
  }
  // One look at git serves both the record (uncommitted work?) and which folders to read
  // (changed-folders.ts): at 100,000 folders a `git status` is the largest part of a no-op sync.
  // --full trusts no note of an earlier look either: git lists every folder (git-folders.ts).
  // What both quick paths compare git's answer with (the catalogues, the baseline) is read while
  // git works: its listings leave this thread waiting. A catalogue edited after this read is
  // uncommitted work git reports; the baseline is read again under the lock.
  let early: EarlyReads | undefined;
  const readEarly = () => (early ??= opts.fullValidation ? undefined : startEarlyReads(opts));
  // HEAD's connectors/ tree id arrives before git's look ends: its diff with the baseline's
  // (syncChangedFolders) starts then, on the other core, while this thread looks at the folders.
  const whileGitWorks = (roots: Promise<Roots>) => {
    const reads = readEarly();
    if (reads && !opts.validate) diffEarly(opts.repoRoot, reads.baseline, roots);
  };
  const git = opts.git ? opts.git.look() : readGitFolders(opts.repoRoot, { log: opts.log, memo: !opts.fullValidation, whileGitWorks });
  if (opts.git) readEarly();
  const [commitSha, worktreeDirty] = await Promise.all([
    opts.commitSha === undefined ? detectCommit(opts.repoRoot) : opts.commitSha,
    opts.worktreeDirty === undefined ? worktreeDirtyFrom(git) : opts.worktreeDirty,
  ]);
  const prov: Provenance = { actor: opts.actor ?? defaultActor(), commitSha, worktreeDirty };
  const record = (summary: FailureSummary) =>
    recordFailedSync(opts.db, { startedAt, ...prov, summary }, opts.log);
  let reached = false;
  try {
    const outcome = await attemptSync(opts, startedAt, prov, () => (reached = true), git, readEarly);
    if (outcome.validation.ok) return outcome;
    return { ...outcome, failed_sync_id: await record(summarizeValidation(outcome.validation)) };
  } catch (err) {
    if (reached && !isConnectionLost(err) && !(err instanceof CommitUnknownError)) await record(summarizeError(err));
    throw err;
  }
}

/** The catalogues and the sync baseline, being read (startEarlyReads). */
interface EarlyReads {
  catalog: Promise<LoadedCatalog>;
  baseline: Promise<Baseline | undefined>;
}

/** Starts the reads; a failure surfaces where one is awaited, never as an unhandled rejection. */
function startEarlyReads(opts: SyncOptions): EarlyReads {
  const early = { catalog: loadCatalog(opts.repoRoot), baseline: withConnection(opts.db, readBaseline) };
  for (const p of Object.values(early)) p.catch(() => undefined);
  return early;
}

/** Starts changedEntries for the baseline's tree and HEAD's when syncChangedFolders will ask for it (same catalogue); git runs once. */
function diffEarly(repoRoot: string, baseline: Promise<Baseline | undefined>, roots: Promise<Roots>): void {
  Promise.all([baseline, roots])
    .then(([seen, head]) => {
      if (seen && head.connectors && seen.catalog_tree === head.catalog) return changedEntries(repoRoot, seen.connectors_tree, head.connectors);
    })
    .catch(() => undefined); // the sync's own reads say what failed
}

async function attemptSync(
  opts: SyncOptions, startedAt: Date, prov: Provenance, answered: () => void, gitAnswer: Promise<GitFolders | undefined>,
  readEarly?: () => EarlyReads | undefined,
): Promise<SyncOutcome> {
  const validate = opts.validate ?? defaultValidate;
  // Only when git answered for every folder (else neither quick path applies, and the registry is not asked twice).
  const early = !opts.fullValidation && (await gitAnswer)?.roots ? readEarly?.() : undefined;
  if (early) {
    // The checkout is the committed trees the registry was last synced to exactly: nothing to read.
    const quick = await syncOnBaseline(opts, startedAt, prov, answered, gitAnswer, early);
    if (quick) return quick;
    // A few folders changed since it: only those are read, validated, planned and written.
    const few = await syncChangedFolders(opts, startedAt, prov, answered, gitAnswer, early);
    if (few === 'full') return attemptSync({ ...opts, fullValidation: true }, startedAt, prov, answered, gitAnswer);
    if (few) return few;
  }
  // Read-only, before any migration: an invalid repository must not change the database at all.
  // In a git checkout only the folders git does not vouch for are read (changed-folders.ts).
  let memory: RegistryMemory = {};
  const readKnown = async () => (memory = await withConnection(opts.db, readRegistryMemory)).known;
  const { known, git } = await readFolderSources({ ...opts, full: opts.fullValidation, readKnown, git: gitAnswer });
  answered();
  const { repoRoot } = opts;
  const validation = await validateStamped(validate, { repoRoot, known }, git, opts);
  if (!validation.ok) return { validation };
  // Likewise a key name another connector owns (checked again under the lock below).
  const keyNames = declaredKeyNames(validation.connectors);
  if (keyNames.length > 0) {
    const conflicts = keyConflicts(validation.connectors, await withConnection(opts.db, (c) => readKeyOwners(c, keyNames)));
    if (conflicts.length > 0) return { validation: await refuseKeyConflicts(validation, conflicts, repoRoot) };
  }

  return underSyncLock(opts, async (client) => {
    const planned = await planRegistry({
      validation, repoRoot, read: (fn) => fn(client), heads: memory.heads,
      // Under the lock nothing moves again: validating everything once more settles it.
      revalidate: () => validateStamped(validate, { repoRoot }, git, opts),
    });
    if (!planned.plan || !planned.validation.ok) {
      await client.query('ROLLBACK');
      return { validation: planned.validation };
    }
    return { validation: planned.validation, result: await writePlan(client, opts, { plan: planned.plan, validation: planned.validation, git, prov, startedAt }) };
  });
}

/**
 * Runs `fn` on a connection of its own, inside a transaction holding the sync lock, after the
 * migrations. `fn` commits (commitOrSayUnknown) or rolls back itself; when it throws, the
 * transaction is rolled back here, and a connection whose ROLLBACK failed is dropped rather than
 * reused (its state is unknown).
 */
async function underSyncLock<T>(opts: SyncOptions, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await opts.db.connect();
  let broken = false;
  try {
    await migrateWithClient(client, opts.log);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
    return await fn(client);
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/**
 * Writes a plan under the lock and commits: the plan's rows, the source hashes, the file lists of
 * the folders whose bytes changed (in the same transaction as their digests), the sync's record
 * and, last, the baseline (its triggers deleted the old one on the writes before). `carried`: the
 * connectors outside the plan's folders, unchanged (a sync of a few changed folders). ANALYZE
 * runs after the commit, once the lock is released: statistics only make later reads faster.
 */
async function writePlan(
  client: pg.PoolClient, opts: SyncOptions,
  args: { plan: Plan; validation: ValidationResult; git: GitFolders | undefined; prov: Provenance; startedAt: Date; carried?: number },
): Promise<SyncResult> {
  const { plan, validation, git, startedAt, carried } = args;
  const { actor, commitSha, worktreeDirty } = args.prov;
  const outcome = planIsEmpty(plan) ? 'noop' : 'applied';
  if (outcome === 'applied') {
    await applyCatalog(client, plan);
    await applyProviders(client, plan);
  }
  const hashes = await applySourceHashes(client, plan);
  const filesRecorded = await applyConnectorFiles(client, plan, (list) => readKeptTexts(opts.repoRoot, list.slug, list.files));
  await recordApprovedFiles(client, plan.file_lists.map((list) => list.slug));
  const syncId = await recordSync(client, { plan, outcome, actor, commitSha, worktreeDirty, startedAt, fingerprint: validation.fingerprint ?? null });
  await writeBaseline(client, { syncId, git, fingerprint: validation.fingerprint, connectors: validation.connectors, carried });
  await opts.beforeCommit?.(client);
  await commitOrSayUnknown(client);
  const analyzed = await analyzeAfterSync(client, plan, hashes, opts.log, filesRecorded);
  return { ...syncResult(plan, syncId, args.prov), source_hashes_updated: hashes, files_recorded: filesRecorded, analyzed };
}

/**
 * The no-op sync of a checkout that is what the registry's baseline describes (baseline.ts): the
 * same tree ids and validation fingerprint, a clean catalogue, and the same few folders git does
 * not vouch for, holding the bytes synced from them. Every connector would be read as unchanged
 * and the plan would be empty. No provider row is read and only those few folders are; the sync
 * is recorded as any no-op is. The baseline must be the same row under the lock (a sync that
 * wrote since deleted or replaced it). Undefined: not the baseline (or none): the caller syncs as
 * usual. Its validation lists no connector: `checked_files` and `skipped_unchanged` say how many.
 */
async function syncOnBaseline(
  opts: SyncOptions, startedAt: Date, prov: Provenance, answered: () => void, gitAnswer: Promise<GitFolders | undefined>, early: EarlyReads,
): Promise<SyncOutcome | undefined> {
  const git = await gitAnswer;
  if (!git?.roots || git.allDirty || !git.roots.catalogClean) return undefined;
  const loaded = await early.catalog;
  if (loaded.errors.length > 0) return undefined;
  const fingerprint = validationFingerprint(loaded.catalog);
  const seen = await early.baseline;
  if (!matchesBaseline(seen, git, fingerprint) || !dirtyFoldersHold(opts.repoRoot, seen)) return undefined;
  answered();
  return underSyncLock(opts, async (client) => {
    const baseline = await readBaseline(client);
    if (!matchesBaseline(baseline, git, fingerprint) || JSON.stringify(baseline) !== JSON.stringify(seen)) {
      await client.query('ROLLBACK');
      return undefined;
    }
    const n = baseline.connectors;
    const plan = makePlan({ unchanged: n });
    const syncId = await recordSync(client, { plan, outcome: 'noop', ...prov, startedAt, fingerprint });
    await opts.beforeCommit?.(client);
    await commitOrSayUnknown(client);
    return {
      validation: catalogueValidation(loaded, n),
      result: { ...syncResult(plan, syncId, prov), source_hashes_updated: 0, files_recorded: 0, analyzed: [] },
    };
  });
}

/** More changed folders than this since the baseline: the sync reads as usual. */
export const MAX_CHANGED_FOLDERS = 1000;

/**
 * The sync of a checkout a few folders away from the registry's baseline (baseline.ts): the same
 * catalogue tree and validation fingerprint, connectors/ differing in the folders `git diff-tree`
 * names between the baseline's tree and HEAD's, plus the folders git does not vouch for now or did
 * not then. Every other folder is the connector the registry synced from it (the baseline says the
 * registry matched the checkout, and its triggers say nothing was written since), so only the
 * changed folders are read and validated (the cross-file rules asking the registry, not the other
 * folders), only their provider rows are read, and the plan counts the rest as unchanged: the
 * same plan a full sync makes. Undefined whenever anything is unusual (no baseline, another
 * catalogue or fingerprint, git failing or missing the baseline's tree, too many changes, an entry
 * that is not a plain folder, a baseline that moved before the lock): the caller then syncs as
 * usual. 'full': invalid input or a key name another connector owns; the caller validates every
 * folder, so the errors are exactly those of `sync --full`.
 */
async function syncChangedFolders(
  opts: SyncOptions, startedAt: Date, prov: Provenance, answered: () => void, gitAnswer: Promise<GitFolders | undefined>, early: EarlyReads,
): Promise<SyncOutcome | 'full' | undefined> {
  // A validator of the caller's (tests) is the caller's to run: the usual path does.
  if (opts.validate) return undefined;
  const git = await gitAnswer;
  const roots = vouchedRoots(git);
  if (!git || !roots) return undefined;
  const seen = await early.baseline;
  if (!seen || seen.catalog_tree !== roots.catalog) return undefined;
  const names = await changedEntries(opts.repoRoot, seen.connectors_tree, roots.connectors);
  if (!names) return undefined;
  const changed = new Set([...names, ...git.dirty, ...Object.keys(seen.dirty)]);
  if (changed.size === 0 || changed.size > MAX_CHANGED_FOLDERS) return undefined;
  const present: string[] = [];
  for (const f of changed) {
    if (f.startsWith('.') || f.includes('/')) return undefined;
    const st = lstatSync(path.join(opts.repoRoot, CONNECTORS_DIR, f), { throwIfNoEntry: false });
    if (st?.isDirectory()) present.push(f);
    else if (st) return undefined; // a file, a symbolic link: the full scan words it
  }
  const slugs = [...changed].sort();
  // What the registry synced from the changed folders, for the validator's unchanged-bytes path.
  const heads = await withConnection(opts.db, (c) => readSnapshot(c, [], undefined, slugs));
  const sources = new Map<string, { sha256: string; digest: string; tree: string | null }>();
  for (const h of heads.providers) {
    if (h.status !== 'retired' && h.source_sha256) sources.set(h.slug, { sha256: h.source_sha256, digest: h.manifest_digest, tree: h.source_tree ?? null });
  }
  const validation: ValidationResult = present.length > 0
    ? await validateRepo({ repoRoot: opts.repoRoot, paths: present.map((f) => `${CONNECTORS_DIR}/${f}`), othersVouched: true, known: { fingerprint: seen.fingerprint, sources } })
    : catalogueValidation(await early.catalog, 0);
  // Invalid input, or a key name another connector owns: rare, so the errors are those of a full
  // validation (every folder read: the other side of a cross-file rule is reported too).
  if (!validation.ok) return 'full';
  if (validation.fingerprint !== seen.fingerprint) return undefined;
  await stampTrees(validation.connectors, git, opts);
  const keyNames = declaredKeyNames(validation.connectors);
  if (keyNames.length > 0 && keyConflicts(validation.connectors, await withConnection(opts.db, (c) => readKeyOwners(c, keyNames))).length > 0) return 'full';
  answered();

  return underSyncLock(opts, async (client) => {
    // Any write since (by anyone) deleted or replaced the row: then sync as usual.
    const baseline = await readBaseline(client);
    if (JSON.stringify(baseline) !== JSON.stringify(seen)) {
      await client.query('ROLLBACK');
      return undefined;
    }
    // At the baseline the providers not retired were exactly its connectors: those outside the changed folders are unchanged.
    const planned = await planRegistry({ validation, repoRoot: opts.repoRoot, read: (fn) => fn(client), only: { slugs, live: seen.connectors } });
    if (!planned?.plan || !planned.validation.ok) {
      await client.query('ROLLBACK');
      // A key name taken meanwhile: the errors are a full validation's.
      return planned ? 'full' : undefined;
    }
    const { plan, unlisted: carried } = planned;
    const result = await writePlan(client, opts, { plan, validation, git, prov, startedAt, carried });
    validation.checked += carried;
    validation.checked_files = { manifests: (validation.checked_files?.manifests ?? 0) + carried, catalogues: validation.checked_files?.catalogues ?? 0 };
    validation.skipped_unchanged = (validation.skipped_unchanged ?? 0) + carried;
    return { validation, result };
  });
}

/**
 * The validation of the catalogues alone, with `unchanged` connectors taken as unchanged unread (a
 * sync on its baseline) or none (a sync whose changed folders were all deleted).
 */
function catalogueValidation(loaded: LoadedCatalog, unchanged: number): ValidationResult {
  const ok = loaded.errors.length === 0;
  return {
    ok, checked: loaded.checked + unchanged, checked_files: { manifests: unchanged, catalogues: loaded.checked }, errors: loaded.errors, warnings: [],
    connectors: [], catalog: loaded.catalog, fingerprint: ok ? validationFingerprint(loaded.catalog) : undefined, skipped_unchanged: unchanged,
  };
}

/** What every sync that wrote its record says of itself. */
function syncResult(plan: Plan, syncId: number, prov: Provenance): SyncResult {
  return {
    plan, sync_id: syncId, outcome: planIsEmpty(plan) ? 'noop' : 'applied', dry_run: false,
    commit_sha: prov.commitSha, worktree_dirty: prov.worktreeDirty, actor: prov.actor,
  };
}

/** The sync's COMMIT was sent but its answer was lost with the connection: applied or not, nobody can tell from here. */
export class CommitUnknownError extends Error {
  override name = 'CommitUnknownError';
}

/**
 * COMMIT, with a lost connection during it said for what it is: unlike a loss earlier in the
 * transaction (nothing written), the sync may have been applied. Running it again is safe.
 */
async function commitOrSayUnknown(client: pg.PoolClient): Promise<void> {
  try {
    await client.query('COMMIT');
  } catch (err) {
    if (!isConnectionLost(err)) throw err;
    throw new CommitUnknownError(
      'the connection to the registry was lost while the sync was committing, so it may or may not have been applied. ' +
        'Run `npm run connectors -- plan` to see what is left; running the sync again is safe.',
      // No `cause`: this is not "lost before anything was written" (isConnectionLost follows causes).
    );
  }
}

/**
 * One registry_syncs row and one 'sync' event per sync, plus an event per provider status change.
 * The row keeps the validation fingerprint: after this sync every provider not retired has the
 * sha256 of bytes that were valid under it, which is what lets the next sync skip them.
 */
async function recordSync(
  client: pg.PoolClient,
  args: {
    plan: Plan; outcome: 'applied' | 'noop'; actor: string; commitSha: string | null; worktreeDirty: boolean | null;
    startedAt: Date; fingerprint: string | null;
  },
): Promise<number> {
  const { plan, outcome, actor, commitSha, worktreeDirty, startedAt, fingerprint } = args;
  const { rows } = await client.query<{ id: string }>(
    `INSERT INTO registry_syncs (started_at, finished_at, commit_sha, worktree_dirty, actor, outcome, counts, validation_fingerprint)
     VALUES ($1, clock_timestamp(), $2, $3, $4, $5, $6::jsonb, $7) RETURNING id`,
    [startedAt, commitSha, worktreeDirty, actor, outcome, JSON.stringify(plan.counts), fingerprint],
  );
  const syncId = Number(rows[0]!.id);
  await client.query(
    `INSERT INTO registry_events (kind, actor, sync_id, details) VALUES ('sync', $1, $2, $3::jsonb)`,
    [actor, syncId, JSON.stringify({ outcome, commit_sha: commitSha, worktree_dirty: worktreeDirty, counts: plan.counts })],
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
