/**
 * The embedded registry: PGlite persisted in `<dataDir>/registry`, served over the PostgreSQL wire
 * protocol on the unix socket `<dataDir>/run/.s.PGSQL.5432` (never a TCP port), so every part
 * talks to it with `pg`, exactly as to a real PostgreSQL, and no other OS user can reach it: the
 * data dir and the run dir are 0700 and ours, every file under them 0600 (see private-dir.ts).
 *
 * One process holds the data dir (recorded in `<dataDir>/registry.json` with its pid and socket);
 * any other process asking for the same data dir connects through that socket instead of opening
 * the files a second time. Info left by a dead process is taken over.
 */
import { lstat, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { claimInfo, infoPath, pidAlive, publishInfo, readInfo, releaseInfo, removeStaleInfo, type RegistryInfo } from './info-file.ts';
import { ensurePrivateDir, privateDirProblem, tightenTree } from './private-dir.ts';
import { serveOverWire, socketPathProblem, socketUrl, SOCKET_FILE } from './wire-server.ts';

export interface EmbeddedRegistry {
  /** The `pg` connection URL through the unix socket. */
  url: string;
  /** `<dataDir>/run/.s.PGSQL.5432` */
  socketPath: string;
  /** True when this process opened the data dir and serves it; false when it reached another's. */
  owner: boolean;
  /** Stops serving and closes PGlite (owner), or does nothing (a reached registry stays up). */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  log?: (line: string) => void;
  /** How long to wait for another process that is still starting the registry. Default 60 s. */
  waitMs?: number;
}

const SET_DATA_DIR = '--data-dir or CONNECTORS_DATA_DIR';

/** `<dataDir>/run`: the private directory holding the registry's socket (and npm start's vault-agent socket). */
export function runDirOf(dataDir: string): string {
  return path.join(path.resolve(dataDir), 'run');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startEmbeddedRegistry(opts: EmbeddedOptions): Promise<EmbeddedRegistry> {
  const dataDir = path.resolve(opts.dataDir);
  const runDir = runDirOf(dataDir);
  const tooLong = socketPathProblem(runDir, `data dir (${SET_DATA_DIR})`, dataDir);
  if (tooLong) throw new Error(tooLong);
  const wasOpen = await ensurePrivateDir(dataDir, { what: 'data dir', setWith: SET_DATA_DIR });
  const deadline = Date.now() + (opts.waitMs ?? 60_000);

  for (;;) {
    if (await claimInfo(dataDir)) return serve(dataDir, runDir, opts, wasOpen);

    const info = await readInfo(dataDir);
    if (info === null) continue; // released between our claim and our read: claim again
    if (info === 'unreadable') {
      // A claim being written, or a garbled file from a crash while claiming.
      const age = Date.now() - (await stat(infoPath(dataDir)).then((s) => s.mtimeMs, () => Date.now()));
      if (age > 10_000) {
        opts.log?.(`registry: removing unreadable ${infoPath(dataDir)}`);
        await unlink(infoPath(dataDir)).catch(() => undefined);
        continue;
      }
    } else if (!pidAlive(info.pid)) {
      opts.log?.(`registry: taking over ${infoPath(dataDir)} left by process ${info.pid}, which is gone`);
      await removeStaleInfo(dataDir, info.pid);
      continue;
    } else if (info.url) {
      if (wasOpen) logMadePrivate(opts, dataDir, true, 0);
      return visit(dataDir, runDir, info);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for the embedded registry in ${dataDir} to start (see ${infoPath(dataDir)})`);
    }
    await sleep(100);
  }
}

/**
 * Reaches the registry another process serves. Only ever through `<dataDir>/run/.s.PGSQL.5432`
 * (the socket of the data dir we checked, not a path taken from the file) in a run dir that is
 * still private, so nothing can steer us to another server.
 */
async function visit(dataDir: string, runDir: string, info: RegistryInfo): Promise<EmbeddedRegistry> {
  const socketPath = path.join(runDir, SOCKET_FILE);
  const holder = `the embedded registry in ${dataDir} is held by process ${info.pid}`;
  if (!info.socket) {
    throw new Error(`${holder}, an older version that serves it over TCP. Stop that process (Ctrl-C its npm start) and retry.`);
  }
  const problem = await privateDirProblem(runDir);
  if (problem) throw new Error(`${holder}, but its socket directory is not private: ${problem}. Stop that process, remove ${runDir} and retry.`);
  const sock = await lstat(socketPath).catch(() => null);
  if (!sock?.isSocket() || sock.uid !== process.getuid?.()) {
    throw new Error(`${holder}, but ${socketPath} is ${sock ? 'not its socket' : 'missing'}. Stop that process, or if it is not a registry (e.g. the machine rebooted), delete ${infoPath(dataDir)} and retry.`);
  }
  if (!(await answers(socketPath))) {
    throw new Error(
      `${holder}, which should serve it on ${socketPath} but does not answer. ` +
        `Stop that process, or if it is not a registry (e.g. the machine rebooted), delete ${infoPath(dataDir)} and retry.`,
    );
  }
  return { url: socketUrl(runDir), socketPath, owner: false, close: async () => undefined };
}

/** One line when the data dir itself (`wasOpen`) or `entries` under it were open to other users and are now private. */
function logMadePrivate(opts: EmbeddedOptions, dataDir: string, wasOpen: boolean, entries: number): void {
  const what = [wasOpen ? 'the dir itself' : '', entries > 0 ? `${entries} entr${entries === 1 ? 'y' : 'ies'} in it` : ''].filter(Boolean).join(' and ');
  opts.log?.(`registry: the data dir ${dataDir} was open to other users (${what}); made it private: directories 0700, files 0600`);
}

async function serve(dataDir: string, runDir: string, opts: EmbeddedOptions, wasOpen: boolean): Promise<EmbeddedRegistry> {
  let db: PGlite | undefined;
  const pgdata = path.join(dataDir, 'registry');
  try {
    const loosened = await tightenTree(dataDir);
    if (wasOpen || loosened > 0) logMadePrivate(opts, dataDir, wasOpen, loosened);
    await ensurePrivateDir(runDir, { what: 'run dir', setWith: SET_DATA_DIR });
    await removeStaleSocket(path.join(runDir, SOCKET_FILE));

    db = await PGlite.create(pgdata);
    await tightenTree(dataDir); // PGlite unpacks a new cluster 0666 and makes directories by the umask
    const server = await serveOverWire(db, { socketDir: runDir });
    await publishInfo(dataDir, { pid: process.pid, url: server.url, socket: server.socketPath, started_at: new Date().toISOString() });
    let closed = false;
    const pglite = db;
    return {
      url: server.url,
      socketPath: server.socketPath,
      owner: true,
      close: async () => {
        if (closed) return;
        closed = true;
        await server.close();
        await pglite.close();
        await tightenTree(dataDir).catch(() => undefined); // files PGlite wrote while running (pg_internal.init is 0644)
        await releaseInfo(dataDir);
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    await releaseInfo(dataDir);
    throw new Error(`could not open the embedded registry in ${pgdata}: ${(err as Error).message}`, { cause: err });
  }
}

/** We hold registry.json, so a socket left in the run dir belongs to a holder that died. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const st = await lstat(socketPath).catch(() => null);
  if (!st) return;
  if (!st.isSocket()) throw new Error(`${socketPath} exists and is not a socket; remove it and retry`);
  await unlink(socketPath);
}

/** True when something accepts connections on the unix socket. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: socketPath });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
