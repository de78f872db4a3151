/**
 * Who owns a data dir is decided by a lock the OS releases when its holder dies: flock(2) on
 * `<dataDir>/registry.lock`, held on an open file description of this process. Node has no flock,
 * so util-linux's flock(1) takes it for us on a descriptor we pass it (`flock --nonblock 3`, as a
 * shell's `exec 9>file; flock -n 9`): the lock belongs to the open file description, which stays
 * ours after flock(1) exits, and is released when we close it or die, however we die. No pid is
 * ever guessed at, so a stale or recycled pid cannot make anyone wait or steal the data dir.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

export const LOCK_FILE = 'registry.lock';

export interface HeldLock {
  /** Releases the lock (closing the descriptor that holds it). */
  release(): Promise<void>;
}

/** The lock is ours (`held`), another live process has it (`busy`), or it could not be tried (message). */
export type LockAttempt = { ok: true; held: HeldLock } | { ok: false; busy: true } | { ok: false; busy: false; message: string; code?: string };

const CONFLICT = 75; // flock(1) --conflict-exit-code: someone else holds it

export function lockPath(dataDir: string): string {
  return path.join(dataDir, LOCK_FILE);
}

/** Tries once, without waiting. */
export async function tryLockDataDir(dataDir: string): Promise<LockAttempt> {
  const file = lockPath(dataDir);
  // Node opens every file close-on-exec: no child (vault-agent) inherits the lock by accident.
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { ok: false, busy: false, message: `could not open the lock file ${file} (${code ?? (err as Error).message})`, code };
  }
  const status = await new Promise<number | string>((resolve) => {
    const child = spawn('flock', ['--nonblock', '--conflict-exit-code', String(CONFLICT), '3'], {
      stdio: ['ignore', 'ignore', 'pipe', fh.fd],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ENOENT' ? 'flock(1) is not installed (it comes with util-linux)' : err.message));
    child.once('close', (code) => resolve(code === 0 || code === CONFLICT ? code : `flock(1) failed (${stderr.trim() || `exit ${code}`})`));
  });
  if (status === 0) {
    let released = false;
    return {
      ok: true,
      held: {
        release: async () => {
          if (released) return;
          released = true;
          await fh.close().catch(() => undefined);
        },
      },
    };
  }
  await fh.close().catch(() => undefined);
  if (status === CONFLICT) return { ok: false, busy: true };
  return { ok: false, busy: false, message: `could not lock ${file}: ${status}` };
}
