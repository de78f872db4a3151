/**
 * `<dataDir>/registry.json`: who holds the embedded registry's data dir, and where it is served
 * (the unix socket in `<dataDir>/run/`), for people and for messages. It decides nothing: the owner
 * is whoever holds the flock on `registry.lock` (owner-lock.ts), and only the owner writes this
 * file, under that lock, and removes it when it stops. A file left by a process that died is simply
 * overwritten by the next owner. Mode 0600 in the 0700 data dir: only this user reads or writes it.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface RegistryInfo {
  pid: number;
  /** The `pg` connection URL through the socket; null while the holder is still starting. */
  url: string | null;
  /** The unix socket the registry is served on (`<dataDir>/run/.s.PGSQL.5432`); null while starting. */
  socket: string | null;
  started_at: string;
  /** What holds it: `npm start` (serves for a long time), or a command (sync, plan…) that serves while it runs. */
  kind?: 'npm start' | 'command';
  /** npm start's God Config site, without a login token (the token is never written anywhere). */
  site_url?: string | null;
}

export function infoPath(dataDir: string): string {
  return path.join(dataDir, 'registry.json');
}

/** Replaces the info atomically (temp file + rename), so readers never see half a file. The caller holds the lock. */
export async function publishInfo(dataDir: string, info: RegistryInfo): Promise<void> {
  const tmp = `${infoPath(dataDir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  await rename(tmp, infoPath(dataDir));
}

/** The info, or null when there is none; 'unreadable' for a garbled file. */
export async function readInfo(dataDir: string): Promise<RegistryInfo | null | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(infoPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const info = JSON.parse(text) as RegistryInfo;
    return Number.isInteger(info.pid) ? info : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the info file if it is still ours. */
export async function releaseInfo(dataDir: string): Promise<void> {
  const info = await readInfo(dataDir).catch(() => null);
  if (info && info !== 'unreadable' && info.pid === process.pid) await unlink(infoPath(dataDir)).catch(() => undefined);
}
