/**
 * The embedded registry: PGlite persisted in `<dataDir>/registry`, served over the PostgreSQL wire
 * protocol on the unix socket `<dataDir>/run/.s.PGSQL.5432` (never a TCP port), so every part
 * talks to it with `pg`, exactly as to a real PostgreSQL, and no other OS user can reach it: the
 * data dir and the run dir are 0700 and ours, every file under them 0600 (see private-dir.ts).
 *
 * One process owns the data dir: the one holding the flock on `<dataDir>/registry.lock`
 * (owner-lock.ts), which the OS releases when it dies. The owner opens PGlite and serves it; any
 * other process asking for the same data dir reaches it through the socket instead of opening the
 * files a second time. `registry.json` says who the owner is (pid, kind, site URL) for people and
 * messages; it decides nothing. Two `npm start`s on one data dir: the second refuses at once,
 * naming the first's pid and site; an npm start finding a command (sync, plan) there waits for it.
 */
import { lstat, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { cleanSinceLastStop, writeCleanStamp } from './clean-stamp.ts';
import { damagedAdvice, DataDirError, errnoOf, explainOpenFailure, fileSystemWords, registryFilesProblem } from './data-dir-check.ts';
import { publishInfo, readInfo, releaseInfo, type RegistryInfo } from './info-file.ts';
import { PGLITE_EXTENSIONS } from './pglite-extensions.ts';
import { lockPath, tryLockDataDir, type HeldLock } from './owner-lock.ts';
import { ensurePrivateDir, privateDirProblem, tightenTree } from './private-dir.ts';
import { serveOverWire, socketPathProblem, socketUrl, SOCKET_FILE } from './wire-server.ts';

export interface EmbeddedRegistry {
  /** The `pg` connection URL through the unix socket. */
  url: string;
  /** `<dataDir>/run/.s.PGSQL.5432` */
  socketPath: string;
  /** True when this process opened the data dir and serves it; false when it reached another's. */
  owner: boolean;
  /** Owner: the cluster's files were exactly as the last clean stop left them (clean-stamp.ts). */
  cleanSinceLastStop: boolean;
  /** Owner: records npm start's site URL (never a login token) in registry.json. */
  publishSiteUrl(url: string): Promise<void>;
  /** Stops serving and closes PGlite (owner), or does nothing (a reached registry stays up). */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  log?: (line: string) => void;
  /** How long to wait for an owner that holds the lock but does not serve yet (starting, or a command finishing). Default 60 s. */
  waitMs?: number;
  /** `npm start` owns the data dir or refuses; a command (default) reaches the owner when there is one. */
  kind?: 'npm start' | 'command';
  /** Called once this process owns the data dir and its private run dir, before PGlite opens (npm start starts vault-agent there meanwhile). */
  onOwned?: () => void;
}

/** Another npm start already owns the data dir. */
export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError';
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
  const kind = opts.kind ?? 'command';
  const tooLong = socketPathProblem(runDir, `data dir (${SET_DATA_DIR})`, dataDir);
  if (tooLong) throw new Error(tooLong);
  const wasOpen = await ensurePrivateDir(dataDir, { what: 'data dir', setWith: SET_DATA_DIR }).catch((err: unknown) => {
    const words = fileSystemWords(errnoOf(err), dataDir, SET_DATA_DIR);
    throw words ? new DataDirError(`could not use the data dir: ${words}`, { cause: err }) : err;
  });
  const deadline = Date.now() + (opts.waitMs ?? 60_000);
  let saidWaiting = false;

  for (;;) {
    const lock = await tryLockDataDir(dataDir);
    if (lock.ok) return serve(dataDir, runDir, opts, wasOpen, lock.held, kind);
    if (!lock.busy) {
      const words = fileSystemWords(lock.code, dataDir, SET_DATA_DIR);
      throw new DataDirError(words ? `could not use the data dir: ${words}` : `${lock.message}. Check that ${dataDir} is yours and writable (npm run connectors -- doctor), or choose another with ${SET_DATA_DIR}.`);
    }

    const read = await readInfo(dataDir).catch(() => null);
    const holder = read && read !== 'unreadable' ? read : null;
    const who = holder ? `process ${holder.pid}${holder.kind ? ` (${holder.kind})` : ''}` : 'another process';
    if (kind === 'npm start') {
      if (holder?.kind === 'npm start') {
        throw new DataDirBusyError(
          `another npm start (process ${holder.pid}) already runs on the data dir ${dataDir}` +
            (holder.site_url ? `; its God Config site is ${holder.site_url}` : ' (its site is still starting)') +
            `. Use that one, stop it first (Ctrl-C in its terminal), or start this one on its own data dir with --data-dir.`,
        );
      }
      if (!saidWaiting) opts.log?.(`registry: the data dir ${dataDir} is in use by ${who}; waiting for it to finish`);
      saidWaiting = true;
    } else {
      const reached = await reach(dataDir, runDir, who);
      if (typeof reached !== 'string') {
        if (wasOpen) logMadePrivate(opts, dataDir, true, 0);
        return reached;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `the embedded registry in ${dataDir} is held by ${who} (it holds ${lockPath(dataDir)}), but ${reached} after ${Math.round((opts.waitMs ?? 60_000) / 1000)} s. ` +
            `If that process is stuck, stop it and retry (npm run connectors -- doctor shows what holds the data dir).`,
        );
      }
    }
    if (kind === 'npm start' && Date.now() > deadline) {
      throw new Error(`the data dir ${dataDir} is still in use by ${who} after ${Math.round((opts.waitMs ?? 60_000) / 1000)} s. Stop that process, or start npm start on its own data dir with --data-dir.`);
    }
    await sleep(kind === 'npm start' ? 250 : 100);
  }
}

/**
 * Reaches the registry the owner serves, or says why not yet. Only ever through
 * `<dataDir>/run/.s.PGSQL.5432` (the socket of the data dir we checked, not a path taken from a
 * file) in a run dir that is still private, so nothing can steer us to another server.
 */
async function reach(dataDir: string, runDir: string, who: string): Promise<EmbeddedRegistry | string> {
  const socketPath = path.join(runDir, SOCKET_FILE);
  const problem = await privateDirProblem(runDir);
  if (problem && (await lstat(runDir).catch(() => null))) {
    throw new Error(`the embedded registry in ${dataDir} is held by ${who}, but its socket directory is not private: ${problem}. Stop that process, remove ${runDir} and retry.`);
  }
  if (problem) return `its socket directory ${runDir} is not there`;
  const sock = await lstat(socketPath).catch(() => null);
  if (!sock) return `it does not serve on ${socketPath}`;
  if (!sock.isSocket() || sock.uid !== process.getuid?.()) {
    throw new Error(`the embedded registry in ${dataDir} is held by ${who}, but ${socketPath} is not its socket (not a socket of yours). Stop that process, remove ${socketPath} and retry.`);
  }
  if (!(await answers(socketPath))) return `nothing answers on ${socketPath}`;
  return { url: socketUrl(runDir), socketPath, owner: false, cleanSinceLastStop: false, publishSiteUrl: async () => undefined, close: async () => undefined };
}

/** One line when the data dir itself (`wasOpen`) or `entries` under it were open to other users and are now private. */
function logMadePrivate(opts: EmbeddedOptions, dataDir: string, wasOpen: boolean, entries: number): void {
  const what = [wasOpen ? 'the dir itself' : '', entries > 0 ? `${entries} entr${entries === 1 ? 'y' : 'ies'} in it` : ''].filter(Boolean).join(' and ');
  opts.log?.(`registry: the data dir ${dataDir} was open to other users (${what}); made it private: directories 0700, files 0600`);
}

async function serve(
  dataDir: string,
  runDir: string,
  opts: EmbeddedOptions,
  wasOpen: boolean,
  lock: HeldLock,
  kind: 'npm start' | 'command',
): Promise<EmbeddedRegistry> {
  let db: PGlite | undefined;
  const pgdata = path.join(dataDir, 'registry');
  let info: RegistryInfo = { pid: process.pid, url: null, socket: null, started_at: new Date().toISOString(), kind, site_url: null };
  try {
    await publishInfo(dataDir, info);
    const loosened = await tightenTree(dataDir);
    if (wasOpen || loosened > 0) logMadePrivate(opts, dataDir, wasOpen, loosened);
    await ensurePrivateDir(runDir, { what: 'run dir', setWith: SET_DATA_DIR });
    await removeStaleSocket(path.join(runDir, SOCKET_FILE));
    opts.onOwned?.();

    // PGlite given a cluster without PG_VERSION would make a new, empty one over it: check first.
    const damage = await registryFilesProblem(pgdata);
    if (damage) throw new DataDirError(`the embedded registry in ${pgdata} is damaged: ${damage}. ${damagedAdvice(dataDir)}`);
    const clean = await cleanSinceLastStop(dataDir); // before PGlite writes a byte
    db = await PGlite.create(pgdata, { extensions: PGLITE_EXTENSIONS }).catch((err: unknown) => {
      throw explainOpenFailure(err, pgdata, dataDir, SET_DATA_DIR);
    });
    await tightenTree(dataDir); // PGlite unpacks a new cluster 0666 and makes directories by the umask
    const server = await serveOverWire(db, { socketDir: runDir });
    info = { ...info, url: server.url, socket: server.socketPath };
    await publishInfo(dataDir, info);
    let closed = false;
    const pglite = db;
    return {
      url: server.url,
      socketPath: server.socketPath,
      owner: true,
      cleanSinceLastStop: clean,
      publishSiteUrl: async (siteUrl) => {
        if (closed) return;
        info = { ...info, site_url: siteUrl };
        await publishInfo(dataDir, info);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        try {
          await server.close();
          await pglite.close();
          await tightenTree(dataDir).catch(() => undefined); // files PGlite wrote while running (pg_internal.init is 0644)
          await writeCleanStamp(dataDir).catch(() => undefined); // a stamp not written only costs the next start a read-through
          await releaseInfo(dataDir);
        } finally {
          await lock.release(); // last: the data dir is free only once PGlite has let go of it
        }
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    await releaseInfo(dataDir);
    await lock.release();
    if (err instanceof DataDirError) throw err;
    const words = fileSystemWords(errnoOf(err), dataDir, SET_DATA_DIR);
    if (words) throw new DataDirError(`could not open the embedded registry: ${words}`, { cause: err });
    throw new Error(`could not open the embedded registry in ${pgdata}: ${(err as Error).message}`, { cause: err });
  }
}

/** We hold the lock, so a socket left in the run dir belongs to an owner that died. */
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
