/**
 * Start-up checks on the directories the agent trusts: the vault dir and the socket's directory.
 * Each must be a real directory (not a symbolic link), owned by this user, and not writable by
 * group or others — otherwise someone else could swap files or sockets under us. Returns results
 * with messages that say what is wrong and how to fix it.
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { isCode } from './atomic-write.ts';

export type DirCheck = { ok: true; handle: FileHandle } | { ok: false; message: string };

export interface PrivateDirOptions {
  /** What the dir is, for messages: "vault dir" or "socket directory". */
  what: string;
  /** How the user sets it, for messages: "--vault-dir or VAULT_DIR". */
  setWith: string;
  /** Create it (0700, with parents) when missing. */
  create: boolean;
  /** Make an existing dir 0700 if it is group/other readable (but not writable). */
  tighten: boolean;
}

/**
 * Checks (and maybe creates) a private directory and returns an open handle on it
 * (O_DIRECTORY|O_NOFOLLOW, so the handle is the directory we checked, not a link's target).
 */
export async function openPrivateDir(path: string, o: PrivateDirOptions): Promise<DirCheck> {
  const uid = process.getuid?.();
  let st;
  try {
    st = await fs.lstat(path);
  } catch (err) {
    if (!isCode(err, 'ENOENT') || !o.create) return { ok: false, message: `The ${o.what} ${path} does not exist. Create it (mode 0700) or choose another with ${o.setWith}.` };
    try {
      await fs.mkdir(path, { recursive: true, mode: 0o700 });
      await fs.chmod(path, 0o700);
      st = await fs.lstat(path);
    } catch (e) {
      return { ok: false, message: `Could not create the ${o.what} ${path} (${errCode(e)}). Choose another with ${o.setWith}.` };
    }
  }
  if (st.isSymbolicLink()) {
    return { ok: false, message: `Refusing to use the ${o.what} ${path}: it is a symbolic link. Point ${o.setWith} at the real directory.` };
  }
  if (!st.isDirectory()) return { ok: false, message: `Refusing to use the ${o.what} ${path}: it is not a directory.` };
  if (uid !== undefined && st.uid !== uid) {
    return { ok: false, message: `Refusing to use the ${o.what} ${path}: it is owned by uid ${st.uid}, not by this user (uid ${uid}). Use a directory you own (${o.setWith}).` };
  }
  if ((st.mode & 0o022) !== 0) {
    return {
      ok: false,
      message: `Refusing to use the ${o.what} ${path}: it is writable by group or others (mode ${(st.mode & 0o777).toString(8)}). Run chmod 700 ${path}, or choose another with ${o.setWith}.`,
    };
  }
  let handle: FileHandle;
  try {
    handle = await fs.open(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (e) {
    return { ok: false, message: `Could not open the ${o.what} ${path} (${errCode(e)}).` };
  }
  const held = await handle.stat();
  if (held.ino !== st.ino || held.dev !== st.dev) {
    await handle.close();
    return { ok: false, message: `The ${o.what} ${path} changed while it was being checked; try again.` };
  }
  if (o.tighten && (held.mode & 0o777) !== 0o700) await handle.chmod(0o700);
  return { ok: true, handle };
}

export function errCode(e: unknown): string {
  return typeof e === 'object' && e && 'code' in e ? String((e as { code: unknown }).code) : 'unknown error';
}
