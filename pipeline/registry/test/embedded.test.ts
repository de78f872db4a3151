import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finished, makeRepo, runCli, type TestRepo } from '../../sentinel/test/helpers.ts';
import { openRegistry, withOpenRegistry } from '../connect.ts';
import { startEmbeddedRegistry } from '../embedded.ts';
import { infoPath } from '../info-file.ts';
import { testBackends } from '../testing.ts';

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(sql)).rows;
  } finally {
    await c.end();
  }
}

// The embedded registry is PGlite by definition; PostgreSQL has nothing to embed.
describe.each(testBackends().filter((b) => b === 'pglite'))('embedded registry (%s)', () => {
  let dataDir: string;
  let repo: TestRepo;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'cf-data-'));
    repo = makeRepo(['alpha']);
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    repo.cleanup();
  });

  it('persists in the data dir across a restart and releases registry.json on close', async () => {
    const first = await startEmbeddedRegistry({ dataDir });
    expect(first.owner).toBe(true);
    const socket = path.join(dataDir, 'run', '.s.PGSQL.5432');
    expect(first.url).toBe(`postgres://postgres@/postgres?host=${encodeURIComponent(path.join(dataDir, 'run'))}`);
    expect(JSON.parse(readFileSync(infoPath(dataDir), 'utf8'))).toMatchObject({ pid: process.pid, url: first.url, socket });
    await query(first.url, `CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives')`);
    await first.close();
    expect(existsSync(infoPath(dataDir))).toBe(false);

    const second = await startEmbeddedRegistry({ dataDir });
    try {
      expect(await query(second.url, 'SELECT v FROM kept')).toEqual([{ v: 'survives' }]);
    } finally {
      await second.close();
    }
  });

  it('a second process reaches the running registry through registry.json instead of opening the data dir', async () => {
    const running = await startEmbeddedRegistry({ dataDir });
    try {
      // The CLI in another process, as while `npm start` runs: it must sync into *this* registry.
      const sync = await runCli(repo.root, ['sync', '--json', '--data-dir', dataDir]);
      expect(sync.code, sync.stderr).toBe(0);
      expect(JSON.parse(sync.stdout).outcome).toBe('applied');
      expect(await query(running.url, 'SELECT provider_slug FROM connector_providers')).toEqual([{ provider_slug: 'alpha' }]);
      // and the holder's info is still in place: the visitor did not take or remove it
      expect(JSON.parse(readFileSync(infoPath(dataDir), 'utf8')).pid).toBe(process.pid);

      const reached = await startEmbeddedRegistry({ dataDir });
      expect(reached).toMatchObject({ owner: false, url: running.url });
      await reached.close(); // a visitor's close leaves the registry up
      expect(await query(running.url, 'SELECT count(*)::int AS n FROM connector_providers')).toEqual([{ n: 1 }]);
    } finally {
      await running.close();
    }
  });

  it('registry.json left by a dead process is taken over', async () => {
    // A pid that existed and is gone now.
    const dead = spawn(process.execPath, ['-e', '']);
    await finished(dead);
    writeFileSync(infoPath(dataDir), JSON.stringify({ pid: dead.pid, url: 'postgres://postgres@127.0.0.1:1/postgres', started_at: new Date().toISOString() }));
    const registry = await startEmbeddedRegistry({ dataDir });
    try {
      expect(registry.owner).toBe(true);
      expect(JSON.parse(readFileSync(infoPath(dataDir), 'utf8')).pid).toBe(process.pid);
      expect(await query(registry.url, 'SELECT count(*)::int AS n FROM connector_providers')).toEqual([{ n: 1 }]);
    } finally {
      await registry.close();
    }
  });

  it('registry.json naming a live unrelated process (pid 1) while nobody holds the lock is overwritten at once', async () => {
    // Before the lock decided, this made every command wait 60 s for "process 1" to serve.
    writeFileSync(infoPath(dataDir), JSON.stringify({ pid: 1, url: null, socket: null, started_at: new Date().toISOString() }));
    const registry = await startEmbeddedRegistry({ dataDir, waitMs: 5_000 });
    try {
      expect(registry.owner).toBe(true);
      expect(JSON.parse(readFileSync(infoPath(dataDir), 'utf8'))).toMatchObject({ pid: process.pid, kind: 'command' });
    } finally {
      await registry.close();
    }
    expect(existsSync(infoPath(dataDir))).toBe(false);
  });

  it('the owner is whoever holds the lock: a process killed with SIGKILL leaves it free, and the next one owns the data dir', async () => {
    const holder = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'hold-registry.ts'), dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    holder.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await new Promise<void>((resolve, reject) => {
      holder.stdout!.on('data', () => out.includes('ready ') && resolve());
      holder.once('exit', () => reject(new Error(`the holder exited early: ${out}`)));
    });
    const reached = await startEmbeddedRegistry({ dataDir });
    expect(reached.owner).toBe(false);
    await reached.close();
    holder.kill('SIGKILL');
    await finished(holder);
    // Its registry.json and socket file are still there; neither decides anything.
    expect(JSON.parse(readFileSync(infoPath(dataDir), 'utf8')).pid).toBe(holder.pid);
    const next = await startEmbeddedRegistry({ dataDir, waitMs: 5_000 });
    try {
      expect(next.owner).toBe(true);
      expect(await query(next.url, 'SELECT count(*)::int AS n FROM guarded')).toEqual([{ n: 1 }]);
    } finally {
      await next.close();
    }
  });

  it('a command that reached the owner starts over on the data dir when the owner stops under it', async () => {
    const owner = await startEmbeddedRegistry({ dataDir });
    const lines: string[] = [];
    let attempts = 0;
    const result = await withOpenRegistry({ dataDir, log: (l) => lines.push(l) }, async (registry) => {
      attempts++;
      if (attempts === 1) {
        expect(registry.reached).toBe(true);
        await registry.pool.query('SELECT 1');
        await owner.close(); // the first sync finishing while this one still works through it
      }
      return (await registry.pool.query<{ n: number }>('SELECT 42 AS n')).rows[0]!.n;
    });
    expect(attempts).toBe(2);
    expect(result).toBe(42);
    expect(lines).toEqual(['registry: the process serving the registry stopped under us; starting over on the data dir']);
  });

  it('openRegistry uses DATABASE_URL-style URLs as given and the embedded registry otherwise', async () => {
    const embedded = await openRegistry({ dataDir });
    try {
      expect(embedded.embedded).toBe(true);
      expect((await embedded.pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      const external = await openRegistry({ databaseUrl: embedded.url });
      expect(external).toMatchObject({ embedded: false, url: embedded.url });
      await external.close();
    } finally {
      await embedded.close();
    }
  });
});
