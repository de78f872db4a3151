/**
 * The embedded registry: PGlite persisted in `<dataDir>/registry`, served over the PostgreSQL wire
 * protocol on 127.0.0.1 so every part talks to it with `pg`, exactly as to a real PostgreSQL.
 *
 * One process holds the data dir (recorded in `<dataDir>/registry.json` with its pid and URL);
 * any other process asking for the same data dir gets that URL instead of opening the files a
 * second time. Info left by a dead process is taken over.
 */
import { mkdir, stat, unlink } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { claimInfo, infoPath, pidAlive, publishInfo, readInfo, releaseInfo, removeStaleInfo } from './info-file.ts';
import { serveOverWire } from './wire-server.ts';

export interface EmbeddedRegistry {
  url: string;
  /** True when this process opened the data dir and serves it; false when it reached another's. */
  owner: boolean;
  /** Stops serving and closes PGlite (owner), or does nothing (a reached registry stays up). */
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  /** Port to serve on; default 0, a random free port. */
  port?: number;
  log?: (line: string) => void;
  /** How long to wait for another process that is still starting the registry. Default 60 s. */
  waitMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startEmbeddedRegistry(opts: EmbeddedOptions): Promise<EmbeddedRegistry> {
  const dataDir = path.resolve(opts.dataDir);
  await mkdir(dataDir, { recursive: true });
  const deadline = Date.now() + (opts.waitMs ?? 60_000);

  for (;;) {
    if (await claimInfo(dataDir)) return serve(dataDir, opts);

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
      if (await answers(info.url)) return { url: info.url, owner: false, close: async () => undefined };
      throw new Error(
        `the embedded registry in ${dataDir} is held by process ${info.pid}, which should serve it at ${info.url} but does not answer. ` +
          `Stop that process, or if it is not a registry (e.g. the machine rebooted), delete ${infoPath(dataDir)} and retry.`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for the embedded registry in ${dataDir} to start (see ${infoPath(dataDir)})`);
    }
    await sleep(100);
  }
}

async function serve(dataDir: string, opts: EmbeddedOptions): Promise<EmbeddedRegistry> {
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(path.join(dataDir, 'registry'));
    const server = await serveOverWire(db, { port: opts.port ?? 0 });
    await publishInfo(dataDir, { pid: process.pid, url: server.url, started_at: new Date().toISOString() });
    let closed = false;
    const pglite = db;
    return {
      url: server.url,
      owner: true,
      close: async () => {
        if (closed) return;
        closed = true;
        await server.close();
        await pglite.close();
        await releaseInfo(dataDir);
      },
    };
  } catch (err) {
    await db?.close().catch(() => undefined);
    await releaseInfo(dataDir);
    throw new Error(`could not open the embedded registry in ${path.join(dataDir, 'registry')}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** True when something accepts TCP connections at the URL's host and port. */
function answers(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port) || 5432 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
