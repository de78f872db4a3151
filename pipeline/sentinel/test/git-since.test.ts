/**
 * git's answer brought up to date from a watcher's events (pipeline/sentinel/git-since.ts): after
 * every kind of change a checkout meets, the look made from the last one and the paths that
 * changed says exactly what a full look (readGitFolders) says of the same checkout, and it is
 * made without a full look wherever the watcher vouches for the rest. The watcher here is the
 * test itself, which reports the paths it changed, as npm start's watcher reports what it saw;
 * changes to .git/ (staging, commits, flags, resets) are reported by nobody, as in npm start.
 * Every case is a real temporary git repository.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readGitFolders, runGit, type GitFolders, type RunGit } from '../git-folders.ts';
import { watchedGit, type WatchedGit } from '../git-since.ts';
import { git, gitRepo, manifestYaml, type TestRepo } from './helpers.ts';

/** Everything a sync reads of an answer, in a form two answers can be compared in. */
const view = (g: GitFolders | undefined) =>
  g && {
    dirty: [...g.dirty].sort(),
    uncommitted: g.uncommitted,
    allDirty: g.allDirty ?? false,
    roots: g.roots,
    trees: Object.fromEntries([...g.trees].sort(([a], [b]) => a.localeCompare(b))),
  };

const SLUGS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];

describe('a look at git brought up to date from the watcher (git-since.ts)', () => {
  const repos: TestRepo[] = [];
  afterEach(() => {
    for (const r of repos.splice(0)) r.cleanup();
  });

  /** A repository, its WatchedGit (armed) and the first look, a full one. */
  async function start(opts: { run?: RunGit; armed?: boolean } = {}) {
    const repo = gitRepo(SLUGS);
    repos.push(repo);
    const watched = watchedGit(repo.root, { run: opts.run });
    if (opts.armed !== false) watched.armed();
    const first = await watched.look();
    expect(watched.lastLook()).toBe('full');
    expect(view(first)).toEqual(view(await full(repo)));
    return { repo, watched };
  }
  const full = (repo: TestRepo) => readGitFolders(repo.root, { memo: false });
  const file = (repo: TestRepo, rel: string) => path.join(repo.root, rel);

  /** Reports `paths` as the watcher would, looks, and checks the look against a full one. */
  async function lookAfter(repo: TestRepo, watched: WatchedGit, paths: string[], how: 'since' | 'full' = 'since') {
    watched.changed(paths.map((p) => file(repo, p)));
    const got = await watched.look();
    expect(watched.lastLook()).toBe(how);
    const want = await full(repo);
    expect(view(got)).toEqual(view(want));
    return got!;
  }

  it('worktree changes: edits, reverts, untracked and ignored files, deleted, renamed and replaced folders', async () => {
    const { repo, watched } = await start();
    expect((await lookAfter(repo, watched, [])).dirty.size).toBe(0);

    repo.write('alpha', { display_name: 'Alpha, edited' });
    let g = await lookAfter(repo, watched, ['connectors/alpha/manifest.yaml']);
    expect([...g.dirty]).toEqual(['alpha']);
    expect(g.uncommitted).toBe(true);

    // Put back: the folder the last look found dirty is asked again without an event of its own.
    git(repo.root, 'checkout', '--', 'connectors/alpha');
    g = await lookAfter(repo, watched, []);
    expect(g.dirty.size).toBe(0);
    expect(g.uncommitted).toBe(false);

    writeFileSync(file(repo, 'connectors/bravo/notes.md'), 'untracked\n');
    writeFileSync(file(repo, 'connectors/charlie/debug.log'), 'ignored\n');
    g = await lookAfter(repo, watched, ['connectors/bravo/notes.md', 'connectors/charlie/debug.log']);
    expect([...g.dirty].sort()).toEqual(['bravo', 'charlie']);

    // Only an ignored file left: dirty (every file of a folder counts), but no uncommitted work.
    rmSync(file(repo, 'connectors/bravo/notes.md'));
    g = await lookAfter(repo, watched, ['connectors/bravo/notes.md']);
    expect([...g.dirty]).toEqual(['charlie']);
    expect(g.uncommitted).toBe(false);

    // An empty directory is nothing to git.
    mkdirSync(file(repo, 'connectors/delta/empty'));
    await lookAfter(repo, watched, ['connectors/delta/empty']);

    // A whole tree of ignored files (a local build): more than the comparison words, so git does.
    mkdirSync(file(repo, 'connectors/bravo/build'));
    for (let i = 0; i < 250; i++) writeFileSync(file(repo, `connectors/bravo/build/part-${i}.log`), `${i}\n`);
    g = await lookAfter(repo, watched, ['connectors/bravo/build']);
    expect([...g.dirty].sort()).toEqual(['bravo', 'charlie']);
    expect(g.uncommitted).toBe(false);
    rmSync(file(repo, 'connectors/bravo/build'), { recursive: true });
    await lookAfter(repo, watched, ['connectors/bravo/build']);

    rmSync(file(repo, 'connectors/delta'), { recursive: true });
    renameSync(file(repo, 'connectors/echo'), file(repo, 'connectors/echo_renamed'));
    g = await lookAfter(repo, watched, ['connectors/delta', 'connectors/echo', 'connectors/echo_renamed']);
    expect([...g.dirty].sort()).toEqual(['charlie', 'delta', 'echo', 'echo_renamed']);

    // A folder replaced by a symbolic link to another.
    rmSync(file(repo, 'connectors/foxtrot'), { recursive: true });
    symlinkSync('alpha', file(repo, 'connectors/foxtrot'));
    await lookAfter(repo, watched, ['connectors/foxtrot']);

    // A new file in a nested directory, and an executable bit (which only git can word).
    mkdirSync(file(repo, 'connectors/alpha/docs'));
    writeFileSync(file(repo, 'connectors/alpha/docs/readme.md'), 'new\n');
    chmodSync(file(repo, 'connectors/alpha/manifest.yaml'), 0o755);
    await lookAfter(repo, watched, ['connectors/alpha/docs', 'connectors/alpha/manifest.yaml']);
  });

  it('changes only .git/ sees: staging, commits, flags, an index-only removal, a reset, and the catalogue', async () => {
    const { repo, watched } = await start();
    repo.write('alpha', { display_name: 'Alpha, staged' });
    await lookAfter(repo, watched, ['connectors/alpha/manifest.yaml']);
    git(repo.root, 'add', 'connectors/alpha');
    await lookAfter(repo, watched, []); // staged: dirty still, by the index

    git(repo.root, 'commit', '-q', '-m', 'alpha');
    let g = await lookAfter(repo, watched, []); // HEAD moved: alpha clean, with its new tree id
    expect(g.dirty.size).toBe(0);
    expect(g.trees.get('alpha')).toBe(git(repo.root, 'rev-parse', 'HEAD:connectors/alpha'));

    // No worktree event at all: a file taken out of the index, and a file git is told not to look at.
    git(repo.root, 'rm', '-q', '--cached', 'connectors/bravo/manifest.yaml');
    git(repo.root, 'update-index', '--assume-unchanged', 'connectors/charlie/manifest.yaml');
    g = await lookAfter(repo, watched, []);
    expect([...g.dirty].sort()).toEqual(['bravo', 'charlie']);
    git(repo.root, 'reset', '-q', '--', 'connectors/bravo');
    git(repo.root, 'update-index', '--no-assume-unchanged', 'connectors/charlie/manifest.yaml');
    expect((await lookAfter(repo, watched, [])).dirty.size).toBe(0);

    // HEAD moves back, the index stays: alpha now differs from HEAD in the index and the worktree.
    git(repo.root, 'reset', '-q', '--soft', 'HEAD~1');
    g = await lookAfter(repo, watched, []);
    expect([...g.dirty]).toEqual(['alpha']);
    git(repo.root, 'commit', '-q', '-m', 'alpha again');
    await lookAfter(repo, watched, []);

    // A new folder committed with no event (made and committed by another checkout's push, pulled).
    repo.write('golf');
    git(repo.root, 'add', '-A');
    git(repo.root, 'commit', '-q', '-m', 'golf');
    await lookAfter(repo, watched, ['connectors/golf', 'connectors/golf/manifest.yaml']);

    // The catalogue: an untracked file there, then gone again.
    writeFileSync(file(repo, 'pipeline/catalog/extra.yaml'), 'x: 1\n');
    g = await lookAfter(repo, watched, ['pipeline/catalog/extra.yaml']);
    expect(g.roots!.catalogClean).toBe(false);
    rmSync(file(repo, 'pipeline/catalog/extra.yaml'));
    g = await lookAfter(repo, watched, ['pipeline/catalog/extra.yaml']);
    expect(g.roots!.catalogClean).toBe(true);
    const catalogFile = file(repo, 'pipeline/catalog/core-kpis.yaml');
    writeFileSync(catalogFile, `${readFileSync(catalogFile, 'utf8')}# edited\n`);
    g = await lookAfter(repo, watched, ['pipeline/catalog/core-kpis.yaml']);
    expect(g.uncommitted).toBe(true);
  });

  it('looks in full when the watcher may have missed something, was not armed, or a watched root was replaced', async () => {
    const { repo, watched } = await start();
    await lookAfter(repo, watched, []);
    watched.doubt();
    await lookAfter(repo, watched, [], 'full');
    await lookAfter(repo, watched, []); // the full look is the base of the next

    renameSync(file(repo, 'connectors'), file(repo, 'connectors-old'));
    mkdirSync(file(repo, 'connectors'));
    renameSync(file(repo, 'connectors-old/alpha'), file(repo, 'connectors/alpha'));
    await lookAfter(repo, watched, [], 'full'); // connectors/ itself replaced: its watches followed the old one

    const unarmed = await start({ armed: false });
    await lookAfter(unarmed.repo, unarmed.watched, [], 'full');
    unarmed.watched.armed();
    await lookAfter(unarmed.repo, unarmed.watched, [], 'full'); // the last look began before the watches were set
    await lookAfter(unarmed.repo, unarmed.watched, []);
  });

  it('HEAD moving while git is asked: a full look, never a mix of two commits', async () => {
    let commitDuringLook = false;
    let root = '';
    const run: RunGit = async (args, cwd) => {
      const r = await runGit(args, cwd);
      if (commitDuringLook && args[0] === 'ls-tree' && args[1] === '-r') {
        commitDuringLook = false;
        writeFileSync(path.join(root, 'connectors/bravo/manifest.yaml'), manifestYaml('bravo', { display_name: 'Bravo, committed meanwhile' }));
        git(root, 'commit', '-q', '-am', 'bravo');
      }
      return r;
    };
    const { repo, watched } = await start({ run });
    root = repo.root;
    repo.write('alpha', { display_name: 'Alpha, edited' });
    commitDuringLook = true;
    await lookAfter(repo, watched, ['connectors/alpha/manifest.yaml'], 'full');
    expect(commitDuringLook).toBe(false); // the commit did happen in the middle of the look
  });

  it('recheck: a folder read while it changed is not clean; one that did not is', async () => {
    const { repo, watched } = await start();
    await lookAfter(repo, watched, []);
    expect([...(await watched.recheck(['alpha', 'bravo']))!.dirty]).toEqual([]);
    repo.write('bravo', { display_name: 'Bravo, edited while read' });
    const again = await watched.recheck(['alpha', 'bravo']);
    expect([...again!.dirty]).toEqual(['bravo']);
    const byGit = (await readGitFolders(repo.root, { folders: ['alpha', 'bravo'] }))!;
    const named = (g: GitFolders) => ({ dirty: [...g.dirty], uncommitted: g.uncommitted, alpha: g.trees.get('alpha'), bravo: g.trees.get('bravo') });
    expect(named(again!)).toEqual(named(byGit));
  });
});
