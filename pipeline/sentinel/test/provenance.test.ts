/**
 * What a sync says about where its input came from, in a real git repository in a temp dir: HEAD,
 * and whether connectors/ or pipeline/catalog/ held uncommitted work (modified, staged, deleted or
 * untracked files); changes elsewhere in the repository do not count. A sync records both.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../../registry/testing.ts';
import { runSync } from '../index.ts';
import { detectCommit, detectWorktreeDirty } from '../provenance.ts';
import { makeRepo, type TestRepo } from './helpers.ts';

describe('provenance in a git checkout', () => {
  let repo: TestRepo;
  let head: string;
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: repo.root,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
    }).trim();
  const file = (...parts: string[]) => path.join(repo.root, ...parts);

  beforeAll(() => {
    repo = makeRepo(['alpha']);
    writeFileSync(file('README.md'), '# test\n');
    git('init', '-q', '-b', 'main');
    git('add', '.');
    git('commit', '-q', '-m', 'initial');
    head = git('rev-parse', 'HEAD');
  });
  afterAll(() => repo.cleanup());

  it('a clean checkout: HEAD, and no uncommitted work', async () => {
    expect(await detectCommit(repo.root, {})).toBe(head);
    expect(await detectWorktreeDirty(repo.root)).toBe(false);
  });

  it('a modified, a staged, a deleted and an untracked file under connectors/ or pipeline/catalog/ are uncommitted work', async () => {
    const manifest = file('connectors', 'alpha', 'manifest.yaml');
    appendFileSync(manifest, '# edited\n');
    expect(await detectWorktreeDirty(repo.root)).toBe(true);
    git('add', manifest);
    expect(await detectWorktreeDirty(repo.root)).toBe(true);
    git('reset', '-q', '--hard');
    expect(await detectWorktreeDirty(repo.root)).toBe(false);

    writeFileSync(file('connectors', 'alpha', 'server.ts'), 'export {};\n');
    expect(await detectWorktreeDirty(repo.root)).toBe(true);
    unlinkSync(file('connectors', 'alpha', 'server.ts'));

    unlinkSync(file('pipeline', 'catalog', 'core-kpis.yaml'));
    expect(await detectWorktreeDirty(repo.root)).toBe(true);
    git('checkout', '-q', '--', 'pipeline/catalog/core-kpis.yaml');
    expect(await detectWorktreeDirty(repo.root)).toBe(false);
  });

  it('a change outside connectors/ and pipeline/catalog/ is not', async () => {
    appendFileSync(file('README.md'), 'more\n');
    writeFileSync(file('notes.txt'), 'untracked\n');
    expect(await detectWorktreeDirty(repo.root)).toBe(false);
    git('checkout', '-q', '--', 'README.md');
    unlinkSync(file('notes.txt'));
  });

  it('outside a git checkout neither is known', async () => {
    const plain = mkdtempSync(path.join(os.tmpdir(), 'cf-plain-'));
    try {
      expect(await detectCommit(plain, {})).toBeNull();
      expect(await detectWorktreeDirty(plain)).toBeNull();
    } finally {
      rmSync(plain, { recursive: true, force: true });
    }
  });

  describe('a sync records it', () => {
    let db: FreshDatabase;
    let pool: pg.Pool;
    beforeAll(async () => {
      db = await freshDatabase('pglite');
      pool = new pg.Pool({ connectionString: db.url, max: 2 });
    });
    afterAll(async () => {
      await pool.end();
      await db.drop();
    });

    it('on the registry_syncs row, its sync event and the result', async () => {
      const clean = await runSync({ db: pool, repoRoot: repo.root, actor: 'test', commitSha: head });
      expect(clean.result).toMatchObject({ commit_sha: head, worktree_dirty: false });
      repo.write('beta');
      const dirty = await runSync({ db: pool, repoRoot: repo.root, actor: 'test', commitSha: head });
      expect(dirty.result).toMatchObject({ commit_sha: head, worktree_dirty: true });
      const { rows } = await pool.query(
        `SELECT s.commit_sha, s.worktree_dirty, e.details->'worktree_dirty' AS event_dirty
           FROM registry_syncs s JOIN registry_events e ON e.sync_id = s.id AND e.kind = 'sync' ORDER BY s.id`,
      );
      expect(rows).toEqual([
        { commit_sha: head, worktree_dirty: false, event_dirty: false },
        { commit_sha: head, worktree_dirty: true, event_dirty: true },
      ]);
    });
  });
});
