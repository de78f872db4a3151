/**
 * A lost registry connection, on a real PostgreSQL whose backends are killed with
 * pg_terminate_backend: during npm start's first sync, while it idles, while the registry refuses
 * connections for a while, and during a `sync` command. npm start (and its vault-agent) keep
 * running, log one line per loss, show a banner while the registry is away, and sync again; the
 * command exits 1 with one plain line. No output ever holds a stack trace.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, type FreshDatabase } from '../../registry/testing.ts';
import { addSyntheticConnectors, copyRepo, crashLines, loginWithFetch, printedLoginUrl, waitFor } from './helpers.ts';

const ADMIN_URL = process.env.TEST_DATABASE_URL;

/** Kills every backend connected to `db` (but the admin's own): what a DBA or a server restart does. */
async function terminateAll(admin: pg.Client, db: string): Promise<number> {
  const { rows } = await admin.query<{ n: number }>(
    `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
    [db],
  );
  return rows[0]!.n;
}

const dbName = (db: FreshDatabase) => new URL(db.url).pathname.slice(1);

function groupProcesses(pgid: number): string[] {
  return execFileSync('ps', ['-eo', 'pgid=,pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim().split(/\s+/)[0] === String(pgid));
}

describe.skipIf(!ADMIN_URL)('a lost registry connection (real PostgreSQL, pg_terminate_backend)', () => {
  let tmp: string;
  let work: string;
  let admin: pg.Client;
  let db: FreshDatabase;
  let child: ChildProcess;
  let output = '';

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-lost-'));
    chmodSync(tmp, 0o700);
    work = path.join(tmp, 'repo');
    copyRepo(work);
    await addSyntheticConnectors(work, 300); // a first sync long enough to be cut in the middle
    db = await freshDatabase('postgres');
    admin = new pg.Client({ connectionString: ADMIN_URL });
    admin.on('error', () => undefined);
    await admin.connect();
  });

  afterAll(async () => {
    try {
      if (child?.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await admin.query(`ALTER DATABASE ${dbName(db)} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.end();
    await db.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('npm start survives its connections killed during the first sync, syncs again, and serves', async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', '--port', '0', '--database-url', db.url], {
      cwd: work,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '', VAULT_DIR: path.join(tmp, 'vault'), VAULT_AGENT_SOCKET: path.join(tmp, 'run', 'vault-agent.sock') },
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));

    await waitFor('the first sync to start', () => (output.includes('… sync connectors/') ? true : undefined), 120_000);
    // Kill its connections until the sync reports the loss (it may need a few tries to land mid-sync).
    await waitFor(
      'the first sync to lose its connection',
      async () => {
        if (output.includes('✓ sync connectors/') && !output.includes('lost during the sync')) throw new Error(`the first sync ended before a connection could be killed:\n${output}`);
        await terminateAll(admin, dbName(db));
        return output.includes('the connection to the registry was lost during the sync') ? true : undefined;
      },
      60_000,
    );
    const loginUrl = await waitFor('the login URL', () => printedLoginUrl(output), 120_000, { child, output: () => output });
    await waitFor('the retried sync', () => (/sync: 306 connector\(s\): 306 added/.test(output) ? true : undefined), 120_000);
    const site = await loginWithFetch(loginUrl);
    const page = await (await site.get('/')).text();
    // Astro may add its scoping attribute to the span; the words and the number are what count.
    expect(page, 'the list counts every connector').toMatch(/All <span class="count"[^>]*>306<\/span>/);
    expect(crashLines(output)).toEqual([]);
  }, 300_000);

  it('a connection killed while idle is one log line; the factory and its vault-agent go on', async () => {
    const before = output.length;
    expect(await terminateAll(admin, dbName(db))).toBeGreaterThan(0);
    await waitFor('the loss and the recovery in the log', () => (output.slice(before).includes('registry: reachable again') ? true : undefined), 60_000);
    const lines = output.slice(before).split('\n');
    expect(lines.filter((l) => l.startsWith('registry: the connection was lost'))).toHaveLength(1);
    expect(groupProcesses(child.pid!).some((p) => p.includes('vault-agent/src/main.ts'))).toBe(true);
    const site = await loginWithFetch(printedLoginUrl(output)!);
    expect((await site.get('/')).status).toBe(200);
    expect(crashLines(output)).toEqual([]);
  });

  it('while the registry refuses connections the site says so in a banner, and recovers once it is back', async () => {
    const site = await loginWithFetch(printedLoginUrl(output)!);
    const before = output.length;
    await admin.query(`ALTER DATABASE ${dbName(db)} ALLOW_CONNECTIONS false`);
    await terminateAll(admin, dbName(db));
    await waitFor('the loss in the log', () => (output.slice(before).includes('registry: the connection was lost') ? true : undefined), 60_000);
    const page = await site.get('/');
    expect(page.status).toBe(503);
    const body = await page.text();
    expect(body).toContain('data-testid="registry-banner"');
    expect(body).toContain('The registry is unreachable');
    await admin.query(`ALTER DATABASE ${dbName(db)} ALLOW_CONNECTIONS true`);
    await waitFor('the recovery in the log', () => (output.slice(before).includes('registry: reachable again') ? true : undefined), 60_000);
    const back = await site.get('/');
    expect(back.status).toBe(200);
    expect(await back.text()).not.toContain('registry-banner');
    expect(crashLines(output)).toEqual([]);
  });

  it('a sync command whose connection is killed exits 1 with one plain line and no stack', async () => {
    const cmdDb = await freshDatabase('postgres');
    try {
      const sync = spawn(process.execPath, ['--import', 'tsx', 'pipeline/cli/main.ts', 'sync', '--database-url', cmdDb.url], {
        cwd: work,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, DATABASE_URL: '' },
      });
      let stdout = '';
      let stderr = '';
      sync.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
      sync.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => sync.once('exit', (code) => resolve(code)));
      let done = false;
      void exited.then(() => (done = true));
      while (!done) {
        await terminateAll(admin, dbName(cmdDb));
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(await exited, stderr).toBe(1);
      const errors = stderr.split('\n').filter((l) => l.startsWith('error:'));
      expect(errors, stderr).toHaveLength(1);
      expect(errors[0]).toMatch(/^error: the connection to the registry was lost (during the sync; nothing was written|while the sync was committing)/);
      expect(crashLines(stdout + stderr)).toEqual([]);
    } finally {
      await cmdDb.drop();
    }
  }, 180_000);
});
