/**
 * Atomic, durable file replacement inside one directory: a private temp file created exclusively
 * without following links (O_CREAT|O_EXCL|O_NOFOLLOW, so a planted symlink or hardlink at the temp
 * name makes the open fail and we pick another name), fchmod 0600, write, fsync, rename over the
 * target (rename replaces a planted symlink or hardlink at the target name itself, never what it
 * points to), then fsync of the directory. Readers therefore see the old file or the new one, whole.
 *
 * Every step names its file through the held directory (held-dir.ts), so a vault path swapped
 * for a link mid-write can redirect neither the temp file, nor the rename, nor the clean-up; and
 * the temp file is removed on every failure after it was created.
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { HeldDir } from './held-dir.ts';

/** Prefix of every temp file; anything with it in the vault dir is a leftover and removed at start. */
export const TEMP_PREFIX = '.tmp-';

const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const MAX_NAME_TRIES = 8;

/** Random, unguessable temp name for a key; tests may inject their own to plant attacks. */
export function randomTempName(key: string): string {
  return `${TEMP_PREFIX}${key}.${randomBytes(12).toString('hex')}`;
}

export interface AtomicWriteOptions {
  /** Generates temp file names (default randomTempName). */
  tempName?: (key: string) => string;
}

/**
 * Writes `data` to `target` in the held directory atomically; resolves with the new file's mtime
 * once the file's contents are on disk and renamed into place. The caller must still sync the
 * directory (see createDirSync) before calling the write durable.
 */
export async function replaceFile(dir: HeldDir, target: string, key: string, data: Buffer, opts: AtomicWriteOptions = {}): Promise<Date> {
  const nameFor = opts.tempName ?? randomTempName;
  let fh: FileHandle | undefined;
  let tempPath = '';
  for (let i = 0; i < MAX_NAME_TRIES && !fh; i++) {
    tempPath = dir.at(nameFor(key));
    try {
      fh = await fs.open(tempPath, CREATE_FLAGS, 0o600);
    } catch (err) {
      // EEXIST: something (maybe an attacker's link) holds that name; ELOOP: a symlink. Try another.
      if (!isCode(err, 'EEXIST') && !isCode(err, 'ELOOP')) throw err;
    }
  }
  if (!fh) throw Object.assign(new Error('could not create a private temp file'), { code: 'EEXIST' });
  let renamed = false;
  try {
    await fh.chmod(0o600); // open's mode is filtered by the umask; make it exact
    await fh.writeFile(data);
    await fh.sync();
    const { mtime } = await fh.stat();
    await fh.close();
    fh = undefined;
    await fs.rename(tempPath, dir.at(target));
    renamed = true;
    return mtime;
  } finally {
    if (fh) await fh.close().catch(() => {});
    if (!renamed) await fs.unlink(tempPath).catch(() => {});
  }
}

/**
 * A directory fsync shared between concurrent writers (group commit): a caller always waits for
 * an fsync that started after it called, but many callers share one. This keeps every write
 * durable while 50 writers cost far fewer than 50 directory syncs.
 */
export function createDirSync(dirHandle: FileHandle): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  let queued: Promise<void> | null = null;
  const run = (): Promise<void> => {
    const p: Promise<void> = dirHandle.sync().finally(() => {
      if (inFlight === p) inFlight = null;
    });
    inFlight = p;
    return p;
  };
  return () => {
    if (!inFlight) return run();
    queued ??= inFlight
      .catch(() => {})
      .then(() => {
        queued = null;
        return run();
      });
    return queued;
  };
}

export function isCode(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
