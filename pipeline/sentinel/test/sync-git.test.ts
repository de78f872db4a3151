/**
 * Change detection by git (pipeline/sentinel/changed-folders.ts, git-folders.ts): in a git
 * checkout plan/sync read only the connector folders git does not vouch for, and the plan is the
 * one a full read gives, whatever state the repository is in. Every case is a real temporary git
 * repository; which folders were read is what the validator was told to take unread
 * (`known.untouched`) and what it returned unread (`unread`), never a timing.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { validateRepo } from '../../validate/repo.ts';
import type { ValidationResult, ValidConnector } from '../../validate/types.ts';
import { readFolderSources, stampTrees } from '../changed-folders.ts';
import { changedEntries, readGitFolders, runGit, type RunGit } from '../git-folders.ts';
import { planSync, runSync, type Validate } from '../index.ts';
import type { Plan } from '../types.ts';
import { commitAll, dumpRegistry, git, gitRepo, makeRepo, manifestYaml, type TestRepo } from './helpers.ts';

const treeOf = (repo: TestRepo, slug: string, rev = 'HEAD') => git(repo.root, 'rev-parse', `${rev}:connectors/${slug}`);

/** The slugs of the folders a validation read (every connector git did not vouch for). */
const readSlugs = (v: ValidationResult) => v.connectors.filter((c) => !(c.kind === 'unchanged' && c.unread)).map((c) => c.slug).sort();

/**
 * Waits until what exists now is older than a walk note written next: the note allows coarse
 * file-system clocks a second of slack (git-folders.ts), so without this wait every folder made
 * by the test counts as changed since the note and the note's shortcut is never exercised.
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 1100));

/** The real git with every command it is asked recorded; `walked()`: the pathspecs of each `git status --ignored`. */
function recordedGit(): { calls: string[][]; run: RunGit; walked: () => string[][] } {
  const calls: string[][] = [];
  const run: RunGit = (a, cwd) => (calls.push(a), runGit(a, cwd));
  const walked = () => calls.filter((a) => a[0] === 'status' && a.includes('--ignored=matching')).map((a) => a.slice(a.indexOf('--') + 1));
  return { calls, run, walked };
}

/** The plan without what depends on how it was reached. */
const planShape = (plan: Plan) => ({ providers: plan.providers, counts: plan.counts });

describe.each(testBackends())('sync asks git which folders changed (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  const repos: TestRepo[] = [];
  /** What the validator was told it may take unread, per call. */
  let untouched: (string[] | undefined)[] = [];
  const watching: Validate = (args) => {
    untouched.push(args.known?.untouched ? [...args.known.untouched].sort() : undefined);
    return validateRepo({ repoRoot: args.repoRoot, known: args.known });
  };
  const logs: string[] = [];
  const sync = (repo: TestRepo, extra: Partial<Parameters<typeof runSync>[0]> = {}) => {
    untouched = [];
    return runSync({ db: pool, repoRoot: repo.root, actor: 'test', validate: watching, log: (l) => logs.push(l), ...extra });
  };
  /** plan on git's word, and the same plan from reading every folder (--full). */
  const plans = async (repo: TestRepo) => {
    untouched = [];
    const fast = await planSync({ db: pool, repoRoot: repo.root, validate: watching });
    const full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
    return { fast, full };
  };
  const trees = async (slugs: string[]) => {
    const { rows } = await pool.query<{ slug: string; tree: string | null }>(
      `SELECT provider_slug AS slug, source_tree AS tree FROM connector_providers WHERE provider_slug = ANY($1) ORDER BY 1`,
      [slugs],
    );
    return Object.fromEntries(rows.map((r) => [r.slug, r.tree]));
  };
  const track = (repo: TestRepo) => (repos.push(repo), repo);
  const baselineRows = async () => Number((await pool.query(`SELECT count(*) AS n FROM registry_sync_baseline`)).rows[0].n);

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    for (const r of repos) r.cleanup();
  });

  it('a clean checkout: the first sync remembers each folder tree id, the next reads no folder and writes nothing', async () => {
    const repo = track(gitRepo(['clean_a', 'clean_b']));
    const first = await sync(repo);
    expect(first.result!.plan.counts.providers.added).toBe(2);
    expect(await trees(['clean_a', 'clean_b'])).toEqual({ clean_a: treeOf(repo, 'clean_a'), clean_b: treeOf(repo, 'clean_b') });

    const before = await dumpRegistry(pool);
    // On the planning path, git vouches for both folders: neither is read.
    const { fast, full } = await plans(repo);
    expect(untouched).toEqual([['clean_a', 'clean_b']]);
    expect(readSlugs(fast.validation)).toEqual([]);
    expect(planShape(fast.plan!)).toEqual(planShape(full.plan!));
    // The sync goes further: the checkout is the trees of its baseline, so not even the validator runs.
    const again = await sync(repo);
    expect(untouched).toEqual([]);
    expect(again.validation.ok).toBe(true);
    expect(again.validation.skipped_unchanged).toBe(2);
    expect(again.result!.outcome).toBe('noop');
    expect(planShape(again.result!.plan)).toEqual(planShape(full.plan!));
    expect(again.result!.plan.counts.providers).toMatchObject({ added: 0, changed: 0, unchanged: 2, retired: 0, revived: 0 });
    expect(await dumpRegistry(pool)).toEqual(before);
    // Recorded as any no-op sync is.
    const { rows } = await pool.query(`SELECT outcome, worktree_dirty FROM registry_syncs WHERE id = $1`, [again.result!.sync_id]);
    expect(rows).toEqual([{ outcome: 'noop', worktree_dirty: false }]);
  });

  it('a dirty tree: an uncommitted edit, an untracked folder, a staged-only change and a deletion not committed are read or retired as a full read says; committing them records their tree ids', async () => {
    const repo = track(gitRepo(['dirty_a', 'dirty_b', 'dirty_c', 'dirty_d']));
    await sync(repo);
    repo.write('dirty_b', { display_name: 'B, edited and not committed' });
    repo.write('dirty_e'); // untracked
    repo.write('dirty_c', { display_name: 'C, staged only' });
    git(repo.root, 'add', 'connectors/dirty_c');
    repo.remove('dirty_d');

    const { fast, full } = await plans(repo);
    expect(untouched).toEqual([['dirty_a']]);
    expect(readSlugs(fast.validation)).toEqual(['dirty_b', 'dirty_c', 'dirty_e']);
    expect(planShape(fast.plan!)).toEqual(planShape(full.plan!));
    expect(fast.plan!.providers.map((p) => [p.slug, p.kind])).toEqual([
      ['dirty_b', 'changed'], ['dirty_c', 'changed'], ['dirty_d', 'retired'], ['dirty_e', 'added'],
    ]);

    await sync(repo);
    // Synced from uncommitted work: no tree id; source_sha256 decides next time.
    expect(await trees(['dirty_a', 'dirty_b', 'dirty_c', 'dirty_e'])).toEqual({ dirty_a: treeOf(repo, 'dirty_a'), dirty_b: null, dirty_c: null, dirty_e: null });

    commitAll(repo, 'commit the edits');
    const committed = await sync(repo);
    expect(readSlugs(committed.validation)).toEqual(['dirty_b', 'dirty_c', 'dirty_e']);
    expect(committed.result!.outcome).toBe('noop');
    expect(committed.result!.source_hashes_updated).toBe(3);
    expect(await trees(['dirty_b', 'dirty_c', 'dirty_e'])).toEqual({
      dirty_b: treeOf(repo, 'dirty_b'), dirty_c: treeOf(repo, 'dirty_c'), dirty_e: treeOf(repo, 'dirty_e'),
    });
    const settled = await sync(repo);
    expect(readSlugs(settled.validation)).toEqual([]);
  });

  it('a folder moved (git mv, slug and key renamed) is one connector retired and one added', async () => {
    const repo = track(gitRepo(['move_a', 'move_b']));
    await sync(repo);
    git(repo.root, 'mv', 'connectors/move_b', 'connectors/moved_b');
    repo.write('moved_b');
    commitAll(repo, 'rename move_b to moved_b');

    const { fast, full } = await plans(repo);
    expect(untouched).toEqual([['move_a']]);
    expect(readSlugs(fast.validation)).toEqual(['moved_b']);
    expect(planShape(fast.plan!)).toEqual(planShape(full.plan!));
    expect(fast.plan!.providers.map((p) => [p.slug, p.kind])).toEqual([['move_b', 'retired'], ['moved_b', 'added']]);
    const synced = await sync(repo);
    expect(synced.result!.plan.counts.providers).toMatchObject({ added: 1, retired: 1, unchanged: 1 });
    expect(await trees(['moved_b'])).toEqual({ moved_b: treeOf(repo, 'moved_b') });
  });

  describe('a few folders changed since the baseline: only they are read, planned and written, and the plan is the full one', () => {
    /** A sync as `npm run connectors -- sync` runs it (its own validator). */
    const plainSync = (repo: TestRepo) => runSync({ db: pool, repoRoot: repo.root, actor: 'test', log: (l) => logs.push(l) });
    /** The full plan first, then the sync: the same providers and counts; afterwards the registry is the checkout (a full plan is empty) and has a baseline again. */
    const syncMatchesFull = async (repo: TestRepo, read: string[]) => {
      const full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
      const synced = await plainSync(repo);
      expect(synced.validation.ok).toBe(true);
      // Only the changed folders are in the validation: the others were neither read nor listed.
      expect(synced.validation.connectors.map((c) => c.slug).sort()).toEqual(read);
      expect(planShape(synced.result!.plan)).toEqual(planShape(full.plan!));
      const after = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
      expect(after.plan!.providers).toEqual([]);
      expect(await baselineRows()).toBe(1);
      return synced.result!.plan;
    };

    it('a committed edit, an uncommitted edit, a new folder, a deleted folder and a renamed folder', async () => {
      const repo = track(gitRepo(['few_a', 'few_b', 'few_c', 'few_d', 'few_e']));
      await plainSync(repo);
      expect(await baselineRows()).toBe(1);

      repo.write('few_a', { display_name: 'A, edited and committed' });
      commitAll(repo, 'edit few_a');
      expect((await syncMatchesFull(repo, ['few_a'])).providers.map((p) => [p.slug, p.kind])).toEqual([['few_a', 'changed']]);
      expect(await trees(['few_a'])).toEqual({ few_a: treeOf(repo, 'few_a') });

      repo.write('few_b', { display_name: 'B, edited, not committed' });
      expect((await syncMatchesFull(repo, ['few_b'])).providers.map((p) => [p.slug, p.kind])).toEqual([['few_b', 'changed']]);
      expect(await trees(['few_b'])).toEqual({ few_b: null });
      // Committed later with the same bytes: read again, nothing to plan, its tree id remembered.
      commitAll(repo, 'commit few_b');
      expect((await syncMatchesFull(repo, ['few_b'])).providers).toEqual([]);
      expect(await trees(['few_b'])).toEqual({ few_b: treeOf(repo, 'few_b') });

      repo.write('few_f');
      commitAll(repo, 'add few_f');
      expect((await syncMatchesFull(repo, ['few_f'])).providers.map((p) => [p.slug, p.kind])).toEqual([['few_f', 'added']]);

      repo.remove('few_c');
      commitAll(repo, 'remove few_c');
      expect((await syncMatchesFull(repo, [])).providers.map((p) => [p.slug, p.kind])).toEqual([['few_c', 'retired']]);

      git(repo.root, 'mv', 'connectors/few_d', 'connectors/few_g');
      repo.write('few_g');
      commitAll(repo, 'rename few_d to few_g');
      const renamed = await syncMatchesFull(repo, ['few_g']);
      expect(renamed.providers.map((p) => [p.slug, p.kind])).toEqual([['few_d', 'retired'], ['few_g', 'added']]);
      expect(renamed.counts.providers).toMatchObject({ added: 1, retired: 1, unchanged: 4 });

      // A retired connector's folder back: revived, as a full read says.
      repo.write('few_c');
      commitAll(repo, 'few_c back');
      expect((await syncMatchesFull(repo, ['few_c'])).providers.map((p) => [p.slug, p.kind])).toEqual([['few_c', 'revived']]);
    });

    it('a changed folder declaring a provider_slug or a key name an unchanged connector has: the errors of --full, nothing written', async () => {
      const repo = track(gitRepo(['clash_a', 'clash_b', 'clash_c']));
      await plainSync(repo);
      const before = await dumpRegistry(pool);

      repo.writeRaw('clash_a', manifestYaml('clash_b'));
      commitAll(repo, 'clash_a declares clash_b');
      let full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
      let synced = await plainSync(repo);
      expect(full.validation.ok).toBe(false);
      expect(synced.validation.ok).toBe(false);
      expect(synced.validation.errors).toEqual(full.validation.errors);
      expect(synced.validation.errors.map((e) => e.file)).toContain('connectors/clash_b/manifest.yaml');
      expect(await dumpRegistry(pool)).toEqual(before);

      repo.write('clash_a', { secrets: [{ key: 'PROVIDER_CLASH_C_API_KEY', label: 'API key' }] });
      commitAll(repo, 'clash_a declares clash_c key');
      full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
      synced = await plainSync(repo);
      expect(full.validation.ok).toBe(false);
      expect(synced.validation.errors).toEqual(full.validation.errors);
      expect(synced.validation.errors.map((e) => e.code)).toContain('secret_key_shared');
      expect(await dumpRegistry(pool)).toEqual(before);

      // Put right: synced from the few folders again.
      repo.write('clash_a', { display_name: 'A, fixed' });
      commitAll(repo, 'fix clash_a');
      expect((await syncMatchesFull(repo, ['clash_a'])).providers.map((p) => [p.slug, p.kind])).toEqual([['clash_a', 'changed']]);
    });
  });

  it('a folder that becomes a symbolic link is refused as a full read refuses it, committed or not, and nothing is written', async () => {
    const repo = track(gitRepo(['link_a', 'link_b']));
    await sync(repo);
    const before = await dumpRegistry(pool);
    repo.remove('link_b');
    symlinkSync('link_a', path.join(repo.root, 'connectors', 'link_b'));
    for (const state of ['uncommitted', 'committed']) {
      if (state === 'committed') {
        commitAll(repo, 'link_b is a link now');
        expect(git(repo.root, 'ls-tree', 'HEAD', 'connectors/link_b')).toMatch(/^120000 blob /);
      }
      const { validation, result } = await sync(repo);
      expect(validation.ok, state).toBe(false);
      expect(validation.errors.map((e) => [e.file, e.code])).toEqual([['connectors/link_b', 'symlink']]);
      expect(result).toBeUndefined();
      const full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
      expect(full.validation.errors.map((e) => [e.file, e.code])).toEqual([['connectors/link_b', 'symlink']]);
    }
    const after = await dumpRegistry(pool);
    expect(after).toEqual(before);
  });

  it('a shallow clone (--depth 1) needs no history: its folders have the tree ids the registry synced, so none is read', async () => {
    const origin = track(gitRepo(['shallow_a', 'shallow_b']));
    origin.write('shallow_b', { display_name: 'B, second commit' });
    commitAll(origin, 'second commit');
    await sync(origin);

    const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-shallow-'));
    repos.push({ root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) } as TestRepo);
    const clone = path.join(dir, 'clone');
    execFileSync('git', ['clone', '-q', '--depth', '1', `file://${origin.root}`, clone], { stdio: 'ignore' });
    expect(git(clone, 'rev-parse', '--is-shallow-repository')).toBe('true');
    expect(git(clone, 'rev-list', '--count', 'HEAD')).toBe('1');

    untouched = [];
    const planned = await planSync({ db: pool, repoRoot: clone, validate: watching });
    expect(untouched).toEqual([['shallow_a', 'shallow_b']]);
    expect(readSlugs(planned.validation)).toEqual([]);
    // Its trees are those of the registry's baseline (written by the origin's sync): nothing is read.
    untouched = [];
    const { result } = await runSync({ db: pool, repoRoot: clone, actor: 'test', validate: watching });
    expect(untouched).toEqual([]);
    expect(result!.outcome).toBe('noop');
    expect(result!.plan.counts.providers).toMatchObject({ unchanged: 2, added: 0, changed: 0, retired: 0 });
  });

  it('a detached HEAD is read like any HEAD: only the folder that differs from what was synced is read', async () => {
    const repo = track(gitRepo(['detached_a', 'detached_b']));
    repo.write('detached_b', { display_name: 'B, second commit' });
    commitAll(repo, 'second commit');
    await sync(repo);
    git(repo.root, 'checkout', '-q', '--detach', 'HEAD~1');
    expect(git(repo.root, 'status', '--porcelain')).toBe('');

    const { fast, full } = await plans(repo);
    expect(untouched).toEqual([['detached_a']]);
    expect(readSlugs(fast.validation)).toEqual(['detached_b']);
    expect(planShape(fast.plan!)).toEqual(planShape(full.plan!));
    expect(fast.plan!.providers.map((p) => [p.slug, p.kind, p.fields_changed])).toEqual([['detached_b', 'changed', ['display_name']]]);
    await sync(repo);
    expect(await trees(['detached_b'])).toEqual({ detached_b: treeOf(repo, 'detached_b') });
  });

  it('a repository with no commit yet: every folder is read, and remembered by its bytes, not a tree id', async () => {
    const repo = track(gitRepo(['unborn_a', 'unborn_b'], { commit: false }));
    logs.length = 0;
    const first = await sync(repo);
    expect(first.result!.plan.counts.providers.added).toBe(2);
    expect(await trees(['unborn_a', 'unborn_b'])).toEqual({ unborn_a: null, unborn_b: null });
    const again = await sync(repo);
    expect(untouched).toEqual([[]]);
    expect(readSlugs(again.validation)).toEqual(['unborn_a', 'unborn_b']);
    // Read, but not parsed: their bytes are the ones synced.
    expect(again.validation.connectors.map((c) => c.kind)).toEqual(['unchanged', 'unchanged']);
    expect(again.result!.outcome).toBe('noop');
    expect(logs).toEqual([]); // git answered: nothing to fall back from
  });

  it('an ignored file and a file marked assume-unchanged are changes git status alone would not report: their folders are read', async () => {
    const repo = track(gitRepo(['hidden_a', 'hidden_b', 'hidden_c']));
    await sync(repo);
    writeFileSync(path.join(repo.root, 'connectors', 'hidden_a', 'debug.log'), 'an ignored file is still a file of the connector\n');
    git(repo.root, 'update-index', '--assume-unchanged', 'connectors/hidden_b/manifest.yaml');
    repo.write('hidden_b', { display_name: 'B, behind assume-unchanged' });
    expect(git(repo.root, 'status', '--porcelain')).toBe('');

    const { fast, full } = await plans(repo);
    expect(untouched).toEqual([['hidden_c']]);
    expect(readSlugs(fast.validation)).toEqual(['hidden_a', 'hidden_b']);
    expect(planShape(fast.plan!)).toEqual(planShape(full.plan!));
    expect(fast.plan!.providers.map((p) => [p.slug, p.kind])).toEqual([['hidden_a', 'changed'], ['hidden_b', 'changed']]);
  });

  it('git failing or printing something unexpected: one log line, every folder read, the same plan', async () => {
    const repo = track(gitRepo(['broken_a', 'broken_b']));
    await sync(repo);
    // A git that answers nonsense, first on PATH.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'cf-fake-git-'));
    repos.push({ root: bin, cleanup: () => rmSync(bin, { recursive: true, force: true }) } as TestRepo);
    writeFileSync(path.join(bin, 'git'), '#!/bin/sh\necho "this is not what git prints"\n');
    chmodSync(path.join(bin, 'git'), 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    logs.length = 0;
    try {
      const { validation, result } = await sync(repo);
      expect(untouched).toEqual([undefined]);
      expect(readSlugs(validation)).toEqual(['broken_a', 'broken_b']);
      expect(result!.outcome).toBe('noop');
    } finally {
      process.env.PATH = savedPath;
    }
    expect(logs.filter((l) => l.includes('asking git'))).toEqual([
      'sync: git rev-parse printed something unexpected (exit 0); reading and hashing every connector folder instead of asking git which changed',
    ]);
  });

  it('the baseline: any write to the provider rows by someone else (here by hand) deletes it, and the next sync plans as a full read does', async () => {
    const repo = track(gitRepo(['base_a', 'base_b']));
    await sync(repo);
    expect(await baselineRows()).toBe(1);
    await pool.query(`UPDATE connector_providers SET status = 'retired', retired_at = now() WHERE provider_slug = 'base_b'`);
    expect(await baselineRows()).toBe(0);
    const full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
    const synced = await sync(repo);
    expect(untouched).toEqual([['base_a']]); // the validator ran; base_b's row is not the one synced, so it is read
    expect(planShape(synced.result!.plan)).toEqual(planShape(full.plan!));
    expect(synced.result!.plan.providers.map((p) => [p.slug, p.kind])).toEqual([['base_b', 'revived']]);
    expect(await baselineRows()).toBe(1);
  });

  it('the baseline: another checkout synced other trees meanwhile; this checkout is not its baseline, and its sync plans as a full read does', async () => {
    const repo = track(gitRepo(['other_a', 'other_b']));
    await sync(repo);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-other-'));
    repos.push({ root: dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) } as TestRepo);
    const clone = path.join(dir, 'clone');
    execFileSync('git', ['clone', '-q', repo.root, clone], { stdio: 'ignore' });
    for (const [k, v] of [['user.name', 'Other'], ['user.email', 'other@example.com'], ['commit.gpgsign', 'false']]) git(clone, 'config', k!, v!);
    writeFileSync(path.join(clone, 'connectors', 'other_b', 'manifest.yaml'), manifestYaml('other_b', { display_name: 'B, from the other checkout' }));
    git(clone, 'commit', '-q', '-am', 'other checkout');
    untouched = [];
    const theirs = await runSync({ db: pool, repoRoot: clone, actor: 'test', validate: watching });
    expect(theirs.result!.plan.providers.map((p) => [p.slug, p.kind])).toEqual([['other_b', 'changed']]);

    const full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
    const ours = await sync(repo);
    expect(untouched).toEqual([['other_a']]);
    expect(planShape(ours.result!.plan)).toEqual(planShape(full.plan!));
    expect(ours.result!.plan.providers.map((p) => [p.slug, p.kind, p.fields_changed])).toEqual([['other_b', 'changed', ['display_name']]]);
  });

  it('the baseline and the walk note: an ignored file, an untracked file, a file in a subfolder, a removed file and a file untracked by the index alone are read as a full read reads them', async () => {
    const repo = track(gitRepo(['note_a', 'note_b', 'note_c', 'note_d', 'note_e', 'note_f']));
    mkdirSync(path.join(repo.root, 'connectors', 'note_c', 'docs'));
    writeFileSync(path.join(repo.root, 'connectors', 'note_c', 'docs', 'readme.md'), 'docs\n');
    writeFileSync(path.join(repo.root, 'connectors', 'note_d', 'notes.md'), 'to be removed\n');
    writeFileSync(path.join(repo.root, 'connectors', 'note_e', 'kept.md'), 'to be untracked\n');
    commitAll(repo, 'extra files');
    await settle();
    await sync(repo); // the walk note is younger than every folder now
    const clean = await sync(repo);
    expect(untouched).toEqual([]); // the baseline: nothing read

    writeFileSync(path.join(repo.root, 'connectors', 'note_a', 'debug.log'), 'ignored, and still a file of the connector\n');
    writeFileSync(path.join(repo.root, 'connectors', 'note_b', 'untracked.md'), 'untracked\n');
    writeFileSync(path.join(repo.root, 'connectors', 'note_c', 'docs', 'more.md'), 'untracked, one folder down\n');
    rmSync(path.join(repo.root, 'connectors', 'note_d', 'notes.md'));
    expect(clean.result!.outcome).toBe('noop');
    const { fast, full } = await plans(repo);
    expect(untouched).toEqual([['note_e', 'note_f']]);
    expect(readSlugs(fast.validation)).toEqual(['note_a', 'note_b', 'note_c', 'note_d']);
    expect(planShape(fast.plan!)).toEqual(planShape(full.plan!));
    expect(fast.plan!.providers.map((p) => p.slug)).toEqual(['note_a', 'note_b', 'note_c', 'note_d']);
    const synced = await sync(repo);
    expect(planShape(synced.result!.plan)).toEqual(planShape(full.plan!));

    // Untracked by the index alone (no folder changes): the note's index differs, so git lists every folder.
    git(repo.root, 'rm', '-q', '--cached', 'connectors/note_e/kept.md');
    git(repo.root, 'commit', '-q', '-m', 'untrack kept.md');
    const after = await plans(repo);
    expect(readSlugs(after.fast.validation)).toContain('note_e');
    expect(planShape(after.fast.plan!)).toEqual(planShape(after.full.plan!));
    await sync(repo);
    // kept.md is on disk and not in HEAD: note_e was synced from more than its tree, so no tree id is remembered.
    expect(await trees(['note_e', 'note_f'])).toEqual({ note_e: null, note_f: treeOf(repo, 'note_f') });
  });

  it('the baseline with uncommitted work: synced again unchanged, nothing is read but those folders; any byte changed in one of them, or a folder back where one was deleted, is planned as a full read plans it', async () => {
    const repo = track(gitRepo(['wip_a', 'wip_b', 'wip_c', 'wip_d']));
    await sync(repo);
    repo.write('wip_a', { display_name: 'A, not committed' });
    repo.write('wip_new'); // untracked
    repo.remove('wip_d'); // deleted, not committed
    const first = await sync(repo);
    expect(first.result!.plan.providers.map((p) => [p.slug, p.kind])).toEqual([['wip_a', 'changed'], ['wip_d', 'retired'], ['wip_new', 'added']]);
    expect(await baselineRows()).toBe(1);

    const again = await sync(repo);
    expect(untouched).toEqual([]); // the validator did not run
    expect(again.result!.outcome).toBe('noop');
    expect(again.result!.plan.counts.providers).toMatchObject({ unchanged: 4, added: 0, changed: 0, retired: 0 });
    expect(again.result!.worktree_dirty).toBe(true);

    const fullSame = async () => {
      const full = await planSync({ db: pool, repoRoot: repo.root, fullValidation: true });
      const synced = await sync(repo);
      expect(untouched).toHaveLength(1); // validated, not taken from the baseline
      expect(planShape(synced.result!.plan)).toEqual(planShape(full.plan!));
      return synced.result!.plan.providers.map((p) => [p.slug, p.kind]);
    };
    // An ignored file in a folder already synced from uncommitted work: git's answer is the same, the bytes are not.
    writeFileSync(path.join(repo.root, 'connectors', 'wip_a', 'debug.log'), 'ignored, and a file of the connector\n');
    expect(await fullSame()).toEqual([['wip_a', 'changed']]);
    expect((await sync(repo)).result!.outcome).toBe('noop');
    expect(untouched).toEqual([]);
    // The deleted folder back, with other bytes: still a folder git does not vouch for, now a connector again.
    repo.write('wip_d', { display_name: 'D, back' });
    expect(await fullSame()).toEqual([['wip_d', 'revived']]);
    // An edit in place of the untracked folder.
    repo.write('wip_new', { display_name: 'New, edited' });
    expect(await fullSame()).toEqual([['wip_new', 'changed']]);
    expect((await sync(repo)).result!.outcome).toBe('noop');
    expect(untouched).toEqual([]);
  });

  it('the baseline: a catalogue edited and not committed, or an ignored file in pipeline/catalog/, is not the baseline', async () => {
    const repo = track(gitRepo(['cat_a']));
    await sync(repo);
    writeFileSync(path.join(repo.root, 'pipeline', 'catalog', 'notes.log'), 'ignored\n');
    await sync(repo);
    expect(untouched).toHaveLength(1); // validated (the catalogue folder is not clean), though cat_a was not read
    rmSync(path.join(repo.root, 'pipeline', 'catalog', 'notes.log'));
    const text = readFileSync(path.join(repo.root, 'pipeline', 'catalog', 'core-kpis.yaml'), 'utf8');
    writeFileSync(path.join(repo.root, 'pipeline', 'catalog', 'core-kpis.yaml'), `${text}# a comment, and the catalogue is uncommitted\n`);
    await sync(repo);
    expect(untouched).toHaveLength(1);
    git(repo.root, 'checkout', '--', 'pipeline/catalog');
    await sync(repo);
    expect(untouched).toEqual([]);
  });

  it('a folder committed while it was read is not remembered by the tree id git gave before', async () => {
    const repo = track(gitRepo(['race_a', 'race_b']));
    const { git: before } = await readFolderSources({ repoRoot: repo.root, readKnown: async () => undefined });
    const connectors = ['race_a', 'race_b'].map((slug) => ({ kind: 'parsed', slug }) as ValidConnector);
    repo.write('race_b', { display_name: 'B, committed after git answered' });
    commitAll(repo, 'meanwhile');
    await stampTrees(connectors, before, { repoRoot: repo.root });
    expect(connectors.map((c) => [c.slug, c.source_tree])).toEqual([['race_a', before!.trees.get('race_a')], ['race_b', null]]);
  });
});

describe('git-folders reads git exactly', () => {
  let repo: TestRepo;
  beforeAll(() => {
    repo = gitRepo(['gf_a', 'gf_b']);
    mkdirSync(path.join(repo.root, 'connectors', 'gf_c'));
    writeFileSync(path.join(repo.root, 'connectors', 'gf_c', 'manifest.yaml'), manifestYaml('gf_c'));
  });
  afterAll(() => repo.cleanup());

  it('names each folder with its tree id and each changed one as dirty; outside a repository it is quiet', async () => {
    renameSync(path.join(repo.root, 'connectors', 'gf_b', 'manifest.yaml'), path.join(repo.root, 'connectors', 'gf_b', 'renamed.yaml'));
    const folders = await readGitFolders(repo.root);
    expect(Object.fromEntries(folders!.trees)).toEqual({ gf_a: treeOf(repo, 'gf_a'), gf_b: treeOf(repo, 'gf_b') });
    expect([...folders!.dirty].sort()).toEqual(['gf_b', 'gf_c']);
    const plain = makeRepo(['x_a']);
    const logs: string[] = [];
    expect(await readGitFolders(plain.root, { log: (l) => logs.push(l) })).toBeUndefined();
    // A folder inside another repository's work tree is not a repository root either.
    expect(await readGitFolders(path.join(repo.root, 'connectors'), { log: (l) => logs.push(l) })).toBeUndefined();
    expect(logs).toEqual([]);
    plain.cleanup();
  });

  it("re-checks the folders a look found clean by their bytes while HEAD and the index are the look's; once either moves, git is asked by name", async () => {
    const r = gitRepo(['rc_a', 'rc_b', 'rc_c', 'rc_d']);
    try {
      const { calls, run, walked } = recordedGit();
      const look = (await readGitFolders(r.root, { run, memo: false }))!;
      expect(look.mark?.head).toBe(git(r.root, 'rev-parse', 'HEAD^{tree}'));
      const stamped = async (slugs: string[]) => {
        const connectors = slugs.map((slug) => ({ kind: 'parsed', slug }) as ValidConnector);
        calls.length = 0;
        await stampTrees(connectors, look, { repoRoot: r.root, runGit: run });
        return Object.fromEntries(connectors.map((c) => [c.slug, c.source_tree]));
      };
      // While they were read: rc_b edited, rc_c given an untracked file, rc_a left alone.
      r.write('rc_b', { display_name: 'B, edited while read' });
      writeFileSync(path.join(r.root, 'connectors', 'rc_c', 'notes.md'), 'new\n');
      expect(await stamped(['rc_a', 'rc_b', 'rc_c'])).toEqual({ rc_a: treeOf(r, 'rc_a'), rc_b: null, rc_c: null });
      // No git status (which reads the whole index): each folder's own tree, and notes.md put to check-ignore.
      expect(calls.filter((a) => a[0] === 'status')).toEqual([]);
      expect(calls).toContainEqual(['ls-tree', '-r', '-z', treeOf(r, 'rc_b')]);
      expect(calls.filter((a) => a.includes('check-ignore'))).toEqual([['-c', 'core.quotePath=false', 'check-ignore', '--no-index', '--', 'connectors/rc_c/notes.md']]);
      // Git's own answer by name is the same.
      expect([...(await readGitFolders(r.root, { folders: ['rc_a', 'rc_b', 'rc_c'] }))!.dirty].sort()).toEqual(['rc_b', 'rc_c']);

      // The index moved (rc_b staged): the look's mark no longer holds, so git is asked by name.
      git(r.root, 'add', 'connectors/rc_b');
      expect(await stamped(['rc_a', 'rc_d'])).toEqual({ rc_a: treeOf(r, 'rc_a'), rc_d: treeOf(r, 'rc_d') });
      expect(walked()).toEqual([['connectors/rc_a', 'connectors/rc_d']]);

      // HEAD moved (rc_d changed and committed while read): asked by name, and rc_d's new tree is not the look's.
      r.write('rc_d', { display_name: 'D, committed while read' });
      commitAll(r, 'meanwhile');
      expect(await stamped(['rc_a', 'rc_d'])).toEqual({ rc_a: treeOf(r, 'rc_a'), rc_d: null });
      expect(walked()).toEqual([['connectors/rc_a', 'connectors/rc_d']]);
    } finally {
      r.cleanup();
    }
  });

  it('changedEntries runs git once for the same two trees, asked while git works or after; a tree missing is undefined, not an empty diff, and not kept', async () => {
    const r = gitRepo(['ce_a', 'ce_b', 'ce_c']);
    try {
      const from = git(r.root, 'rev-parse', 'HEAD:connectors');
      r.write('ce_b', { display_name: 'B, changed' });
      r.remove('ce_c');
      commitAll(r, 'change b, remove c');
      const to = git(r.root, 'rev-parse', 'HEAD:connectors');
      const { calls, run } = recordedGit();
      const [early, late] = await Promise.all([changedEntries(r.root, from, to, run), changedEntries(r.root, from, to, run)]);
      expect(early).toEqual(['ce_b', 'ce_c']);
      expect(late).toEqual(early);
      expect(late).not.toBe(early); // each caller's own copy
      expect(calls.filter((a) => a[0] === 'diff-tree')).toHaveLength(1);
      // Asked after git answered: the answer is kept (tree ids are content addresses), git is not asked again.
      const again = await changedEntries(r.root, from, to, run);
      expect(again).toEqual(['ce_b', 'ce_c']);
      again!.push('not kept');
      expect(await changedEntries(r.root, from, to, run)).toEqual(['ce_b', 'ce_c']);
      expect(calls.filter((a) => a[0] === 'diff-tree')).toHaveLength(1);
      // A tree this repository does not have (a shallow clone without the baseline's): no answer, none kept.
      expect(await changedEntries(r.root, 'f'.repeat(40), to, run)).toBeUndefined();
      expect(await changedEntries(r.root, 'f'.repeat(40), to, run)).toBeUndefined();
      expect(calls.filter((a) => a[0] === 'diff-tree')).toHaveLength(3);
    } finally {
      r.cleanup();
    }
  });

  it("answers a folder's tree id from git's sorted listing: names that sort around each other, a file and a link among them, and many lookups", async () => {
    // Folders whose order in a tree depends on git comparing a folder as "name/": "a" sorts after
    // "a-b" and "a.b" ("/" is 0x2f), before "a0"; a file "a.txt" and a link sit among them.
    const names = ['a', 'a-b', 'a.b', 'a0', 'ab', 'a_b', 'b', 'ä', 'z'];
    const r = gitRepo(names);
    try {
      writeFileSync(path.join(r.root, 'connectors', 'a.txt'), 'not a folder\n');
      symlinkSync('a', path.join(r.root, 'connectors', 'a.link'));
      commitAll(r, 'a file and a link among the folders');
      const folders = (await readGitFolders(r.root, { memo: false }))!;
      const want = Object.fromEntries(names.map((n) => [n, treeOf(r, n)]));
      expect(Object.fromEntries(folders.trees)).toEqual(want);
      expect(folders.trees.size).toBe(names.length);
      for (const n of names) expect(folders.trees.get(n), n).toBe(want[n]);
      for (const n of ['a.txt', 'a.link', 'a/', 'a-', 'aa', '', 'zz', 'a/b']) expect(folders.trees.get(n), n).toBeUndefined();
      expect([...folders.dirty].sort()).toEqual(['a.link', 'a.txt']);
      // Past a thousand lookups the answers come from a map of every entry: the same answers.
      for (let i = 0; i < 1200; i++) {
        const n = names[i % names.length]!;
        expect(folders.trees.get(n)).toBe(want[n]);
      }
      expect(folders.trees.has('a.txt')).toBe(false);

      // The walk note keeps what the scan found by the tree id listed; the next look at the same
      // tree takes it from there (the same answers, the lookups without a scan), and a look at
      // another tree id scans again, whatever the note says.
      const first = (await readGitFolders(r.root))!;
      const note = path.join(r.root, '.git', 'connector-factory-walk.json');
      const kept = JSON.parse(readFileSync(note, 'utf8'));
      expect(kept.listing).toEqual({ tree: git(r.root, 'rev-parse', 'HEAD:connectors'), odd: [], others: ['a.link', 'a.txt'] });
      const again = (await readGitFolders(r.root))!;
      expect(again).toEqual(first);
      expect(Object.fromEntries(again.trees)).toEqual(want);
      for (const n of names) expect(again.trees.get(n), n).toBe(want[n]);
      expect(again.trees.get('a.txt')).toBeUndefined();
      writeFileSync(note, JSON.stringify({ ...kept, listing: { ...kept.listing, others: ['a.link', 'a.txt', 'b'] } }));
      expect([...(await readGitFolders(r.root))!.dirty].sort()).toEqual(['a.link', 'a.txt', 'b']); // taken from the note, as kept
      writeFileSync(note, JSON.stringify({ ...kept, listing: { ...kept.listing, tree: treeOf(r, 'a'), others: ['b'] } }));
      expect([...(await readGitFolders(r.root))!.dirty].sort()).toEqual(['a.link', 'a.txt']); // another tree id: scanned
      expect(JSON.parse(readFileSync(note, 'utf8')).listing).toEqual(kept.listing);
    } finally {
      r.cleanup();
    }
  });

  it('with a walk note, git lists by name only the folders changed since it, those that held untracked entries, and pipeline/catalog/', async () => {
    const r = gitRepo(['wn_a', 'wn_b', 'wn_c']);
    try {
      await settle();
      const { calls, run: spy, walked } = recordedGit();
      /** The pathspecs of each `git ls-files --others` asked (none at all would list the whole work tree). */
      const others = () => calls.filter((a) => a[0] === 'ls-files' && a.includes('--others')).map((a) => a.slice(a.indexOf('--') + 1));
      const read = async (opts: { memo?: boolean } = {}) => {
        calls.length = 0;
        return (await readGitFolders(r.root, { run: spy, ...opts }))!;
      };
      /** Each `git ls-files -v` asked: the listing of the index. */
      const listed = () => calls.filter((a) => a[0] === 'ls-files' && a.includes('-v'));
      expect((await read()).dirty.size).toBe(0);
      expect(walked()).toEqual([['connectors/', 'pipeline/catalog/']]); // no note yet
      // The same index (git's checksum says so) and the same entries in connectors/: nothing is
      // listed by git, not the index, not a folder; pipeline/catalog/ is listed here against HEAD.
      const second = await read();
      expect(second.dirty.size).toBe(0);
      expect(second.roots?.catalogClean).toBe(true);
      expect(walked()).toEqual([]);
      expect(others()).toEqual([]);
      expect(listed()).toEqual([]);
      expect(second).toEqual(await readGitFolders(r.root, { memo: false }));

      // An ignored or untracked file in pipeline/catalog/ is found without git listing it.
      writeFileSync(path.join(r.root, 'pipeline', 'catalog', 'notes.log'), 'ignored\n');
      expect((await read()).roots?.catalogClean).toBe(false);
      expect(walked()).toEqual([]);
      rmSync(path.join(r.root, 'pipeline', 'catalog', 'notes.log'));
      expect((await read()).roots?.catalogClean).toBe(true);

      // A file git is told not to look at changes the index: it is listed again, and the flag is
      // kept in the note, so the next look without listing still reads that folder.
      git(r.root, 'update-index', '--assume-unchanged', 'connectors/wn_a/manifest.yaml');
      expect([...(await read()).dirty]).toEqual(['wn_a']);
      expect(listed()).toHaveLength(1);
      await settle();
      expect([...(await read()).dirty]).toEqual(['wn_a']);
      expect(listed()).toEqual([]);
      git(r.root, 'update-index', '--no-assume-unchanged', 'connectors/wn_a/manifest.yaml');
      expect((await read()).dirty.size).toBe(0);
      expect(listed()).toHaveLength(1);

      writeFileSync(path.join(r.root, 'connectors', 'wn_b', 'debug.log'), 'ignored\n');
      mkdirSync(path.join(r.root, 'connectors', 'wn_new'));
      writeFileSync(path.join(r.root, 'connectors', 'wn_new', 'manifest.yaml'), manifestYaml('wn_new'));
      writeFileSync(path.join(r.root, 'connectors', 'wn_c', 'manifest.yaml'), manifestYaml('wn_c', { display_name: 'C, edited in place' }));
      const third = await read();
      expect([...third.dirty].sort()).toEqual(['wn_b', 'wn_c', 'wn_new']);
      expect(third.uncommitted).toBe(true);
      // wn_c was edited in place (its folder did not change): git status --untracked-files=no names it.
      // wn_b is in HEAD with its index entries HEAD's: compared with its own tree here (its
      // debug.log put to check-ignore), not by a git status that reads the whole index; wn_new,
      // not in HEAD, is git's to list. connectors/ gained an entry, so the index is listed again,
      // but pipeline/catalog/ is still compared with HEAD's listing of it, not put to git status.
      expect(walked()).toEqual([['connectors/wn_new']]);
      expect(others()).toEqual([['connectors/wn_new']]);
      const wnB = git(r.root, 'rev-parse', 'HEAD:connectors/wn_b');
      expect(calls).toContainEqual(['ls-tree', '-r', '-z', wnB]);
      expect(calls.filter((a) => a.includes('check-ignore'))).toEqual([['-c', 'core.quotePath=false', 'check-ignore', '--no-index', '--', 'connectors/wn_b/debug.log']]);
      expect(third).toEqual(await readGitFolders(r.root, { memo: false }));

      // The folders that held untracked entries are asked again until they hold none.
      expect([...(await read()).dirty].sort()).toEqual(['wn_b', 'wn_c', 'wn_new']);
      expect(walked()[0]).toEqual(expect.arrayContaining(['connectors/wn_new']));
      expect(calls).toContainEqual(['ls-tree', '-r', '-z', wnB]);

      // A note that is not one (here: not JSON) is no note.
      const note = path.join(r.root, '.git', 'connector-factory-walk.json');
      writeFileSync(note, 'not a note');
      expect([...(await read()).dirty].sort()).toEqual(['wn_b', 'wn_c', 'wn_new']);
      expect(walked()).toEqual([['connectors/', 'pipeline/catalog/']]);
      expect(await read({ memo: false })).toEqual(third);
      expect(walked()).toEqual([['connectors/', 'pipeline/catalog/']]);
    } finally {
      r.cleanup();
    }
  });

  it("with a walk note, a changed folder whose index entries are HEAD's is compared with HEAD's tree, and each answer is a full look's", async () => {
    const r = gitRepo(['hc_a', 'hc_b', 'hc_c', 'hc_d']);
    const dir = (f: string, ...rest: string[]) => path.join(r.root, 'connectors', f, ...rest);
    try {
      await settle();
      const { calls, run: spy, walked } = recordedGit();
      /** The folders git status --ignored was asked about. */
      const byGit = () => walked().flat();
      const look = async () => {
        calls.length = 0;
        const got = (await readGitFolders(r.root, { run: spy }))!;
        const asked = byGit();
        expect(got).toEqual(await readGitFolders(r.root, { memo: false }));
        return { got, asked };
      };
      await look(); // the note

      // Saved through a temp file and a rename, as editors do (the folder's mtime moves): an edit
      // is dirty and uncommitted, the same bytes are clean; git status is asked about neither.
      writeFileSync(dir('hc_a', 'manifest.yaml.tmp'), manifestYaml('hc_a', { display_name: 'A, saved by an editor' }));
      renameSync(dir('hc_a', 'manifest.yaml.tmp'), dir('hc_a', 'manifest.yaml'));
      writeFileSync(dir('hc_b', 'manifest.yaml.tmp'), readFileSync(dir('hc_b', 'manifest.yaml')));
      renameSync(dir('hc_b', 'manifest.yaml.tmp'), dir('hc_b', 'manifest.yaml'));
      let { got, asked } = await look();
      expect([...got.dirty]).toEqual(['hc_a']);
      expect(got.uncommitted).toBe(true);
      expect(asked).not.toEqual(expect.arrayContaining(['connectors/hc_a']));
      expect(asked).not.toEqual(expect.arrayContaining(['connectors/hc_b']));

      // An empty directory (git names none): clean, but remembered, so a file put in it later is
      // found though no directory git tracks changed; an ignored file there is dirt, not work.
      mkdirSync(dir('hc_c', 'empty'));
      ({ got } = await look());
      expect(got.dirty.has('hc_c')).toBe(false);
      await settle();
      ({ got } = await look()); // hc_c's own time is now older than the note: it is asked because it was remembered
      expect(got.dirty.has('hc_c')).toBe(false);
      writeFileSync(dir('hc_c', 'empty', 'trace.log'), 'ignored\n');
      ({ got, asked } = await look());
      expect(got.dirty.has('hc_c')).toBe(true);
      expect(asked).not.toEqual(expect.arrayContaining(['connectors/hc_c']));
      writeFileSync(dir('hc_c', 'empty', 'notes.txt'), 'untracked\n');
      ({ got } = await look());
      expect(got.dirty.has('hc_c')).toBe(true);
      rmSync(dir('hc_c', 'empty'), { recursive: true });

      // What the comparison cannot word goes to git by name: a tracked file replaced by a link.
      rmSync(dir('hc_d', 'manifest.yaml'));
      symlinkSync(dir('hc_b', 'manifest.yaml'), dir('hc_d', 'manifest.yaml'));
      ({ got, asked } = await look());
      expect(got.dirty.has('hc_d')).toBe(true);
      expect(asked).toEqual(expect.arrayContaining(['connectors/hc_d']));

      // A folder with a staged change, changed again after the look that listed that index: its
      // index entries are not HEAD's, so git is asked about it by name, never the comparison.
      git(r.root, 'checkout', '--', 'connectors/hc_a', 'connectors/hc_d');
      writeFileSync(dir('hc_b', 'extra.yaml'), 'staged: true\n');
      git(r.root, 'add', 'connectors/hc_b/extra.yaml');
      ({ asked } = await look());
      expect(asked).toEqual(['connectors/', 'pipeline/catalog/']); // the index moved: a full look
      await settle();
      writeFileSync(dir('hc_b', 'draft.txt'), 'untracked\n');
      ({ got, asked } = await look());
      expect([...got.dirty].sort()).toEqual(['hc_b']);
      expect(got.staged?.has('hc_b')).toBe(true);
      expect(asked).toEqual(expect.arrayContaining(['connectors/hc_b']));
      expect(asked).not.toContain('connectors/');
    } finally {
      r.cleanup();
    }
  });

  it('with a walk note, more changed folders than are listed by their own tree ids are compared from one listing of HEAD, each answer a full look\'s', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `mc_${i}`);
    const r = gitRepo(names);
    try {
      await settle();
      const { calls, run } = recordedGit();
      await readGitFolders(r.root, { run }); // the note
      for (const [i, f] of names.entries()) {
        const file = path.join(r.root, 'connectors', f, 'manifest.yaml');
        // Saved through a rename, so every folder's times move; every third with the same bytes.
        writeFileSync(`${file}.tmp`, i % 3 === 0 ? readFileSync(file) : manifestYaml(f, { display_name: `Edited ${i}` }));
        renameSync(`${file}.tmp`, file);
      }
      writeFileSync(path.join(r.root, 'connectors', 'mc_4', 'trace.log'), 'ignored\n');
      mkdirSync(path.join(r.root, 'connectors', 'mc_6', 'empty'));
      calls.length = 0;
      const got = (await readGitFolders(r.root, { run }))!;
      expect(got).toEqual(await readGitFolders(r.root, { memo: false }));
      expect([...got.dirty].sort()).toEqual(names.filter((_, i) => i % 3 !== 0).sort());
      const headTree = git(r.root, 'rev-parse', 'HEAD^{tree}');
      expect(calls.filter((a) => a[0] === 'ls-tree' && a[1] === '-r' && a[3] === headTree)).toHaveLength(1);
      expect(calls.filter((a) => a[0] === 'status' && a.includes('--ignored=matching'))).toEqual([]);
    } finally {
      r.cleanup();
    }
  });

  it('a look that finds nothing changed leaves the walk note as it was; a file put in a folder after it is still found', async () => {
    const r = gitRepo(['kn_a', 'kn_b']);
    try {
      await settle();
      await readGitFolders(r.root); // no note yet: every folder listed, the note written
      const note = path.join(r.root, '.git', 'connector-factory-walk.json');
      const written = readFileSync(note, 'utf8');
      expect((await readGitFolders(r.root))!.dirty.size).toBe(0);
      expect(readFileSync(note, 'utf8')).toBe(written); // its time is still true: nothing changed since
      writeFileSync(path.join(r.root, 'connectors', 'kn_b', '.env'), 'LOCAL=1\n');
      expect([...(await readGitFolders(r.root))!.dirty]).toEqual(['kn_b']);
      expect(readFileSync(note, 'utf8')).not.toBe(written); // this look found something: written again
      expect(await readGitFolders(r.root)).toEqual(await readGitFolders(r.root, { memo: false }));
    } finally {
      r.cleanup();
    }
  });

  it('an empty folder inside a connector folder (git names none): a file put in it later is found, though no folder git knows of changed', async () => {
    const r = gitRepo(['ed_a', 'ed_b']);
    try {
      mkdirSync(path.join(r.root, 'connectors', 'ed_a', 'empty'));
      await settle();
      expect((await readGitFolders(r.root))!.dirty.size).toBe(0); // no note yet: every folder listed
      expect((await readGitFolders(r.root))!.dirty.size).toBe(0); // with the note
      writeFileSync(path.join(r.root, 'connectors', 'ed_a', 'empty', 'late.txt'), 'put in the empty folder\n');
      expect([...(await readGitFolders(r.root))!.dirty]).toEqual(['ed_a']);
      expect(await readGitFolders(r.root)).toEqual(await readGitFolders(r.root, { memo: false }));
    } finally {
      r.cleanup();
    }
  });

  it('an entry in a format it does not know is a failure, never a clean folder', async () => {
    const real = (await import('../git-folders.ts')).runGit;
    const lying = (args: string[]): RunGit => async (a, cwd) => {
      const r = await real(a, cwd);
      return a[0] === args[0] ? { ...r, stdout: Buffer.from(`${args[1]}\0`) } : r;
    };
    for (const [cmd, line] of [
      ['status', 'R  connectors/gf_a/x'],
      ['status', ' M pipeline/elsewhere'],
      ['ls-tree', '040000 tree nothex\tconnectors/gf_a'],
      ['ls-files', 'H'],
    ] as const) {
      const logs: string[] = [];
      expect(await readGitFolders(repo.root, { run: lying([cmd, line]), log: (l) => logs.push(l) }), `${cmd}: ${line}`).toBeUndefined();
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain(`git ${cmd} printed`);
    }
  });
});
