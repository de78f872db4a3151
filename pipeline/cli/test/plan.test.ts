/**
 * `plan` finds the registry the way sync does (options.ts locateRegistry): the embedded registry in
 * the repository's data dir, reached through the process that holds it as `npm start` does. Without
 * any registry it says so first and loudly, and again on the last line. Real PGlite, real processes.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedRegistry, type EmbeddedRegistry } from '../../registry/embedded.ts';
import { runSync } from '../../sentinel/index.ts';
import { finished, makeRepo, PROJECT_ROOT, type TestRepo } from '../../sentinel/test/helpers.ts';
import { emptyRegistryWords } from '../commands/plan.ts';

const MAIN = path.join(PROJECT_ROOT, 'pipeline', 'cli', 'main.ts');
const TSX = pathToFileURL(path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** The CLI in `cwd` with no registry configured by the environment: only what it finds. */
function connectors(cwd: string, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, GITHUB_ACTIONS: '' };
  for (const name of ['DATABASE_URL', 'CONNECTORS_DATA_DIR', 'CONNECTORS_REPO_ROOT', 'NODE_OPTIONS']) delete env[name];
  return finished(spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

describe('what plan says about an empty registry', () => {
  it('none found: where it looked and what to do, before the plan; a one-line reminder after it', () => {
    const words = emptyRegistryWords({ kind: 'none', dataDir: '/repo/.data' });
    expect(words.banner).toMatch(/^=+\nNO REGISTRY FOUND: this plan compares the repository with an EMPTY registry/);
    expect(words.banner).toContain('an embedded registry in /repo/.data');
    expect(words.banner).toMatch(/--data-dir DIR .*--database-url URL/);
    expect(words.reminder).toBe('Reminder: planned against an EMPTY registry (no registry found): everything above shows as new.\n');
  });

  it('a registry without a schema names that registry', () => {
    expect(emptyRegistryWords({ kind: 'embedded', dataDir: '/d' }).banner).toContain('EMPTY REGISTRY: the embedded registry in /d has no registry');
    expect(emptyRegistryWords({ kind: 'url' }).banner).toContain('EMPTY REGISTRY: the database at --database-url / DATABASE_URL has no registry');
  });
});

describe('plan on a repository', () => {
  let repo: TestRepo;
  let owner: EmbeddedRegistry | undefined;
  beforeAll(() => {
    repo = makeRepo(['alpha', 'beta']);
  });
  afterAll(async () => {
    await owner?.close();
    repo.cleanup();
  });

  it('without any registry: the warning comes first, the reminder last, and no registry is created', async () => {
    const r = await connectors(repo.root, 'plan');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^NO REGISTRY FOUND/);
    expect(r.stdout).toContain(`an embedded registry in ${path.join(repo.root, '.data')}`);
    expect(r.stdout).toContain('+ alpha (Service alpha): new');
    expect(lines.at(-1)).toMatch(/^Reminder: planned against an EMPTY registry \(no registry found\)/);
    expect(existsSync(path.join(repo.root, '.data'))).toBe(false);
  });

  it('with the data dir held as npm start holds it, plan reaches that registry', async () => {
    const dataDir = path.join(repo.root, '.data');
    owner = await startEmbeddedRegistry({ dataDir, kind: 'npm start' });
    expect(JSON.parse(readFileSync(path.join(dataDir, 'registry.json'), 'utf8'))).toMatchObject({ pid: process.pid, kind: 'npm start' });
    const pool = new pg.Pool({ connectionString: owner.url, max: 1 });
    try {
      const synced = await runSync({ db: pool, repoRoot: repo.root, commitSha: null, worktreeDirty: null });
      expect(synced.validation.ok).toBe(true);
    } finally {
      await pool.end();
    }
    // Only the owner's registry knows alpha and beta: a plan against anything else would add them.
    const r = await connectors(repo.root, 'plan');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^No changes\. Providers: 0 added, 0 changed, 0 retired, 0 revived, 2 unchanged\./m);
    expect(r.stdout).not.toMatch(/EMPTY|NO REGISTRY/);
  }, 180_000);
});
