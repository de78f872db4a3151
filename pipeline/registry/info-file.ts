/**
 * `<dataDir>/registry.json`: who holds the embedded registry's data dir, and where it is served
 * (the unix socket in `<dataDir>/run/`). Created exclusively by the process that opens PGlite on the
 * data dir (PGlite itself takes no lock, and two processes writing one data dir would corrupt it);
 * others read it and connect. Mode 0600 in the 0700 data dir: only this user reads or writes it.
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
}

export function infoPath(dataDir: string): string {
  return path.join(dataDir, 'registry.json');
}

/** Creates the info file only if none exists; false when another process got there first. */
export async function claimInfo(dataDir: string): Promise<boolean> {
  const info: RegistryInfo = { pid: process.pid, url: null, socket: null, started_at: new Date().toISOString() };
  try {
    await writeFile(infoPath(dataDir), `${JSON.stringify(info)}\n`, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** Replaces our info atomically (temp file + rename), so readers never see half a file. */
export async function publishInfo(dataDir: string, info: RegistryInfo): Promise<void> {
  const tmp = `${infoPath(dataDir)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(info)}\n`, { mode: 0o600 });
  await rename(tmp, infoPath(dataDir));
}

/** The info, or null when there is none; 'unreadable' for a file being written or garbled. */
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

/**
 * Removes info left by a dead process. Renames it aside first and checks it is still the stale
 * one, so that of two processes taking over at once, neither deletes the other's fresh claim.
 */
export async function removeStaleInfo(dataDir: string, stalePid: number): Promise<void> {
  const aside = `${infoPath(dataDir)}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(infoPath(dataDir), aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  let movedPid: number | undefined;
  try {
    movedPid = (JSON.parse(moved) as RegistryInfo).pid;
  } catch {
    movedPid = undefined;
  }
  if (movedPid !== undefined && movedPid !== stalePid && pidAlive(movedPid)) {
    await rename(aside, infoPath(dataDir)); // someone else's live claim: put it back
    return;
  }
  await unlink(aside).catch(() => undefined);
}

/** Removes the info file if it is still ours. */
export async function releaseInfo(dataDir: string): Promise<void> {
  const info = await readInfo(dataDir).catch(() => null);
  if (info && info !== 'unreadable' && info.pid === process.pid) await unlink(infoPath(dataDir)).catch(() => undefined);
}
