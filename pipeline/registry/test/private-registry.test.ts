/**
 * Issue 10 item 2, "the registry is open": another OS user found the embedded registry's TCP port,
 * connected as superuser and approved a connector, and read its 0666 files. Now the registry is
 * served on a unix socket in a 0700 run dir of a 0700 data dir whose files are all 0600, and these
 * tests attack a real registry process from outside.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, chownSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../sentinel/test/helpers.ts';
import { startEmbeddedRegistry } from '../embedded.ts';
import { listeningTcp, listeningUnix, runAsNobody, socketInodesOf } from './os-probes.ts';

const FIXTURE = fileURLToPath(new URL('./fixtures/hold-registry.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(path.join(PROJECT_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** Every entry under `dir` (and `dir` itself) whose mode is not 0700 (directories) or 0600 (anything else). */
function looseModes(dir: string): string[] {
  const loose: string[] = [];
  const check = (p: string) => {
    const st = lstatSync(p);
    const want = st.isDirectory() ? 0o700 : 0o600;
    if (st.isSymbolicLink()) loose.push(`${p} is a symbolic link`);
    else if ((st.mode & 0o777) !== want) loose.push(`${path.relative(dir, p) || '.'} is ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) check(path.join(p, name));
  };
  check(dir);
  return loose;
}

/** What the attacker's script tries, as `nobody`: each attempt's error code, or "succeeded". */
const ATTACK = `
import fs from 'node:fs';
import net from 'node:net';
const [socket, dataDir] = process.argv.slice(2);
const attempt = (fn) => { try { fn(); return 'succeeded'; } catch (e) { return e.code ?? String(e); } };
const connect = await new Promise((resolve) => {
  const s = net.connect({ path: socket });
  s.once('connect', () => { s.destroy(); resolve('succeeded'); });
  s.once('error', (e) => resolve(e.code));
});
console.log(JSON.stringify({
  connect,
  list: attempt(() => fs.readdirSync(dataDir)),
  info: attempt(() => fs.readFileSync(dataDir + '/registry.json')),
  pgVersion: attempt(() => fs.readFileSync(dataDir + '/registry/PG_VERSION')),
  catalog: attempt(() => fs.readdirSync(dataDir + '/registry/base')),
}));
`;

describe('the embedded registry belongs to its OS user', () => {
  let tmp: string;
  let dataDir: string;
  let holder: ChildProcess;
  let output = '';
  let ready: { url: string; socket: string };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-priv-'));
    chmodSync(tmp, 0o755); // other users can reach the data dir's name, as in a home or project dir
    dataDir = path.join(tmp, 'data');
    // A data dir left open, as `mkdir` under umask 000 (or the old registry) leaves it.
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o777);
    writeFileSync(path.join(dataDir, 'notes.txt'), 'left by an older version', { mode: 0o666 });
    chmodSync(path.join(dataDir, 'notes.txt'), 0o666);
    // The holder runs under umask 000, so nothing it creates is private by accident.
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    holder = spawn('sh', ['-c', 'umask 000 && exec "$@"', 'sh', process.execPath, '--import', TSX_LOADER, FIXTURE, dataDir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    holder.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    holder.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    ready = await new Promise((resolve, reject) => {
      holder.stdout!.on('data', () => {
        const m = /^ready (.+)$/m.exec(output);
        if (m) resolve(JSON.parse(m[1]!) as { url: string; socket: string });
      });
      holder.once('exit', (code) => reject(new Error(`the registry holder exited (${code}) before it was ready:\n${output}`)));
    });
  });

  afterAll(() => {
    holder.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  it('is served on a unix socket in <dataDir>/run and listens on no TCP port', () => {
    expect(ready.socket).toBe(path.join(dataDir, 'run', '.s.PGSQL.5432'));
    expect(ready.url).toBe(`postgres://postgres@/postgres?host=${encodeURIComponent(path.join(dataDir, 'run'))}`);
    const held = socketInodesOf(holder.pid!);
    // The probe sees the process's listening unix socket (so it would see a TCP one too)...
    const unixInode = [...listeningUnix()].find(([, p]) => p === ready.socket)?.[0];
    expect(unixInode && held.has(unixInode)).toBe(true);
    // ...and none of its sockets is a listening TCP socket.
    const tcp = listeningTcp();
    expect([...held].filter((inode) => tcp.has(inode)).map((inode) => tcp.get(inode))).toEqual([]);
  });

  it('makes the data dir 0700 and everything under it 0600 (directories 0700), even under umask 000', () => {
    expect(looseModes(dataDir)).toEqual([]);
    // One line says what was fixed: the dir itself and the file planted in it.
    expect(output.split('\n').filter((l) => l.startsWith('registry:'))).toEqual([
      `registry: the data dir ${dataDir} was open to other users (the dir itself and 1 entry in it); made it private: directories 0700, files 0600`,
    ]);
  });

  it('another OS user can neither connect to the socket nor read the data files', async () => {
    const run = await runAsNobody(ATTACK, [ready.socket, dataDir]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ connect: 'EACCES', list: 'EACCES', info: 'EACCES', pgVersion: 'EACCES', catalog: 'EACCES' });
    // The registry itself is untouched and still serves its own user.
    const client = new pg.Client({ connectionString: ready.url });
    await client.connect();
    try {
      expect((await client.query('SELECT status FROM guarded WHERE id = 1')).rows).toEqual([{ status: 'draft' }]);
    } finally {
      await client.end();
    }
  });

  it('files PGlite wrote while running are private too once it stops', async () => {
    const client = new pg.Client({ connectionString: ready.url });
    await client.connect();
    await client.query(`CREATE TABLE later (v text); INSERT INTO later SELECT repeat('x', 100) FROM generate_series(1, 1000)`);
    await client.end();
    const closed = new Promise<void>((resolve) => holder.stdout!.on('data', () => output.includes('closed') && resolve()));
    holder.kill('SIGTERM');
    await closed;
    expect(looseModes(dataDir)).toEqual([]);
    expect(existsSync(ready.socket)).toBe(false);
  });
});

describe('the embedded registry refuses a data dir it cannot keep private', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-refuse-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('a data dir that is a symbolic link is refused, naming it and what to do; the target is left alone', async () => {
    const target = path.join(tmp, 'elsewhere');
    mkdirSync(target, { mode: 0o700 });
    const link = path.join(tmp, 'linked-data');
    symlinkSync(target, link);
    await expect(startEmbeddedRegistry({ dataDir: link })).rejects.toThrow(
      `refusing to use the data dir ${link}: it is a symbolic link (to ${target}), which could lead anywhere. Point --data-dir or CONNECTORS_DATA_DIR at the real directory`,
    );
    expect(readdirSync(target)).toEqual([]);
  });

  it("another user's data dir is refused, naming its owner and what to do", async () => {
    const theirs = path.join(tmp, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    await expect(startEmbeddedRegistry({ dataDir: theirs })).rejects.toThrow(
      new RegExp(`refusing to use the data dir ${theirs}: it is owned by uid 65534 \\(nobody\\), not by you \\(uid \\d+.*\\).*Use a data dir you own \\(--data-dir or CONNECTORS_DATA_DIR\\)`),
    );
    expect(readdirSync(theirs)).toEqual([]);
  });

  it('a data dir whose socket path would pass the unix limit is refused before anything is created', async () => {
    const deep = path.join(tmp, 'd'.repeat(100));
    await expect(startEmbeddedRegistry({ dataDir: deep })).rejects.toThrow(
      /the registry's socket .*\/run\/\.s\.PGSQL\.5432 would be \d+ bytes long, over the 107-byte limit for unix socket paths\. Choose a shorter data dir \(--data-dir or CONNECTORS_DATA_DIR\) \(its path may be at most 89 bytes\)/,
    );
    expect(existsSync(deep)).toBe(false);
  });

  it('a command does not connect through a run dir that is no longer private', async () => {
    const dataDir = path.join(tmp, 'shared-run');
    const running = await startEmbeddedRegistry({ dataDir });
    try {
      chmodSync(path.join(dataDir, 'run'), 0o755);
      await expect(startEmbeddedRegistry({ dataDir })).rejects.toThrow(/its socket directory is not private: .*run is open to group or others \(mode 755\)/);
    } finally {
      await running.close();
    }
  });
});
