/**
 * The key store on disk: one file per key in the vault dir, `{NAME}.txt` (plain) or
 * `{NAME}.sops.json` (SOPS). Writes go through replaceFile + a shared directory fsync, under a
 * per-name lock; writing one format removes the other. Status comes from lstat, never from
 * reading a file, so status and list can't leak a value. Every file is named through the vault
 * dir's held descriptor (held-dir.ts), never through the vault path, so a path swapped for a
 * link cannot send a value, a deletion or a listing anywhere else.
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { writeRecordStep } from './audit.ts';
import { createDirSync, isCode, replaceFile, TEMP_PREFIX, type AtomicWriteOptions } from './atomic-write.ts';
import type { HeldDir } from './held-dir.ts';
import { createKeyedLock } from './name-lock.ts';
import { NAME_PATTERN } from './validate.ts';
import { encryptVaultValue } from '../sops/encrypt.ts';

export const PLAIN_SUFFIX = '.txt';
export const SOPS_SUFFIX = '.sops.json';

export interface KeyStatus {
  name: string;
  updated_at: string;
}

/** An expected store failure; `message` names the key and the errno, never the value. */
export class StoreError extends Error {
  constructor(
    readonly code: 'write_failed' | 'not_found',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface VaultStore {
  put(name: string, value: string): Promise<KeyStatus>;
  remove(name: string): Promise<void>;
  status(name: string): Promise<KeyStatus | null>;
  list(): Promise<KeyStatus[]>;
  /** Waits for writes in flight, then releases the directory handle. */
  close(): Promise<void>;
  readonly mode: 'plain' | 'sops';
}

export interface StoreOptions extends AtomicWriteOptions {
  /** The vault dir, already checked by openPrivateDir, held by its descriptor. */
  dir: HeldDir;
  /** Age recipients: when present, keys are written as SOPS documents. */
  recipients?: string[];
}

export function createStore(opts: StoreOptions): VaultStore {
  const { dir } = opts;
  const dirHandle: FileHandle = dir.handle;
  const recipients = opts.recipients && opts.recipients.length > 0 ? opts.recipients : undefined;
  const syncDir = createDirSync(dirHandle);
  const lock = createKeyedLock();
  let identity: Promise<Stats> | undefined;

  /**
   * Refuses to write if the vault path no longer names the directory we hold: the write itself
   * could not go elsewhere (it goes through the descriptor), but connectors read keys by path and
   * would not find it, so the operator must hear of the swap. (Without /proc, this is the guard.)
   */
  async function assertSameDir(): Promise<void> {
    identity ??= dirHandle.stat();
    const [held, now] = await Promise.all([identity, fs.lstat(dir.path)]);
    if (!now.isDirectory() || now.ino !== held.ino || now.dev !== held.dev) {
      throw new StoreError('write_failed', `the vault dir ${dir.path} was replaced since the agent started; restart the vault-agent`);
    }
  }

  return {
    mode: recipients ? 'sops' : 'plain',

    async put(name, value) {
      // Encrypt outside the lock: it is CPU work that does not depend on the file.
      const data = recipients ? Buffer.from(await encryptVaultValue(value, recipients), 'utf8') : Buffer.from(value, 'utf8');
      const [target, other] = recipients ? [SOPS_SUFFIX, PLAIN_SUFFIX] : [PLAIN_SUFFIX, SOPS_SUFFIX];
      const mtime = await lock.run(name, async () => {
        const record = writeRecordStep();
        let previous: string | null = null;
        let m: Date;
        try {
          await assertSameDir();
          // The old file stays linked under a temp name until the write's audit record is down, so
          // the write can be undone (and a full disk cannot free its space for the record meanwhile).
          if (record) previous = await holdPrevious(dir, name + target, name);
          m = await replaceFile(dir, name + target, name, data, opts);
        } catch (err) {
          if (previous) await fs.unlink(dir.at(previous)).catch(() => {});
          throw asStoreError(err, `could not write key ${name}`);
        }
        if (record) {
          try {
            await record(name);
          } catch (err) {
            await undoWrite(dir, name + target, previous);
            await syncDir().catch(() => {});
            throw new StoreError(
              'write_failed',
              `key ${name} was not changed: its audit record could not be written (${errCode(err)}), so the write was undone and the key keeps its previous value. ` +
                `Free space on the vault dir's disk and try again.`,
            );
          }
          if (previous) await fs.unlink(dir.at(previous)).catch(() => {});
        }
        try {
          await unlinkIfPresent(dir.at(name + other));
        } catch (err) {
          throw asStoreError(err, `could not write key ${name}`);
        }
        return m;
      });
      await syncDir().catch((err) => {
        throw asStoreError(err, `key ${name} was written but the vault dir could not be synced`);
      });
      return { name, updated_at: mtime.toISOString() };
    },

    async remove(name) {
      const removed = await lock.run(name, async () => {
        try {
          await assertSameDir();
          const a = await unlinkIfPresent(dir.at(name + PLAIN_SUFFIX));
          const b = await unlinkIfPresent(dir.at(name + SOPS_SUFFIX));
          return a || b;
        } catch (err) {
          throw asStoreError(err, `could not delete key ${name}`);
        }
      });
      if (!removed) throw new StoreError('not_found', `Key ${name} is not set, so there is nothing to delete.`);
      await syncDir().catch((err) => {
        throw asStoreError(err, `key ${name} was deleted but the vault dir could not be synced`);
      });
    },

    async status(name) {
      const times = await Promise.all([keyMtime(dir.at(name + PLAIN_SUFFIX)), keyMtime(dir.at(name + SOPS_SUFFIX))]);
      const newest = newestOf(times);
      return newest ? { name, updated_at: newest.toISOString() } : null;
    },

    async list() {
      const byName = new Map<string, Date>();
      for (const entry of await fs.readdir(dir.root, { withFileTypes: true })) {
        if (!entry.isFile()) continue; // symlinks and anything else are never keys
        const name = keyNameOf(entry.name);
        if (!name) continue;
        const t = await keyMtime(dir.at(entry.name));
        const prev = byName.get(name);
        if (t && (!prev || t > prev)) byName.set(name, t);
      }
      return [...byName.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, t]) => ({ name, updated_at: t.toISOString() }));
    },

    async close() {
      await lock.idle();
      await dirHandle.close().catch(() => {});
    },
  };
}

/** The key name a vault file holds, or null for anything that is not `{NAME}.txt` / `{NAME}.sops.json`. */
export function keyNameOf(file: string): string | null {
  for (const suffix of [SOPS_SUFFIX, PLAIN_SUFFIX]) {
    if (file.endsWith(suffix)) {
      const name = file.slice(0, -suffix.length);
      return NAME_PATTERN.test(name) ? name : null;
    }
  }
  return null;
}

/**
 * Start-up housekeeping: removes temp files a killed writer left behind and makes key files 0600
 * (opened with O_NOFOLLOW, so a planted symlink is never chmod-ed through). Returns what it removed.
 */
export async function cleanVaultDir(dir: HeldDir): Promise<{ removedTemps: number }> {
  let removedTemps = 0;
  for (const entry of await fs.readdir(dir.root, { withFileTypes: true })) {
    if (entry.name.startsWith(TEMP_PREFIX)) {
      await fs.unlink(dir.at(entry.name)).catch(() => {});
      removedTemps++;
    } else if (entry.isFile() && keyNameOf(entry.name)) {
      const fh = await fs.open(dir.at(entry.name), constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => null);
      if (fh) {
        const st = await fh.stat();
        if ((st.mode & 0o777) !== 0o600 && st.uid === process.getuid?.()) await fh.chmod(0o600);
        await fh.close();
      }
    }
  }
  return { removedTemps };
}

async function keyMtime(path: string): Promise<Date | null> {
  try {
    const st = await fs.lstat(path);
    return st.isFile() ? st.mtime : null;
  } catch {
    return null;
  }
}

function newestOf(times: (Date | null)[]): Date | null {
  let best: Date | null = null;
  for (const t of times) if (t && (!best || t > best)) best = t;
  return best;
}

async function unlinkIfPresent(path: string): Promise<boolean> {
  try {
    await fs.unlink(path);
    return true;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return false;
    throw err;
  }
}

/** Links the current `file` (if any) under a fresh temp name and returns that name; null when there is no file. */
async function holdPrevious(dir: HeldDir, file: string, key: string): Promise<string | null> {
  // TEMP_PREFIX, so a crash leaves nothing that start-up does not clean; not a write's temp name.
  const held = `${TEMP_PREFIX}prev-${key}-${randomBytes(12).toString('hex')}`;
  try {
    await fs.link(dir.at(file), dir.at(held));
    return held;
  } catch (err) {
    if (isCode(err, 'ENOENT')) return null;
    throw err;
  }
}

/** Puts the held previous file back in place of `file`, or removes `file` when there was none. */
async function undoWrite(dir: HeldDir, file: string, previous: string | null): Promise<void> {
  if (previous) await fs.rename(dir.at(previous), dir.at(file)).catch(() => {});
  else await fs.unlink(dir.at(file)).catch(() => {});
}

function errCode(err: unknown): string {
  return typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : 'unknown error';
}

function asStoreError(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = typeof err === 'object' && err && 'code' in err ? String((err as { code: unknown }).code) : 'unknown error';
  return new StoreError('write_failed', `${what} (${code}). Check that the vault dir is writable and the disk is not full.`);
}
