/**
 * Start-up checks on the directories the agent trusts: the vault dir and the socket's directory.
 * Each must be a real directory (not a symbolic link), owned by this user, and not writable by
 * group or others — otherwise someone else could swap files or sockets under us. The socket's
 * directory must be closed to group and others entirely (`ownerOnly`), since connecting to a
 * socket is checked on its path. Returns results with messages that say what is wrong and how to
 * fix it. `npm start` and the site's client run the same checks before they trust a socket.
 */
import { constants, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
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
  /** Refuse a dir that group or others can read or enter (after tightening, if allowed). */
  ownerOnly?: boolean;
}

/**
 * Checks (and maybe creates) a private directory and returns an open handle on it
 * (O_DIRECTORY|O_NOFOLLOW, so the handle is the directory we checked, not a link's target).
 */
export async function openPrivateDir(path: string, o: PrivateDirOptions): Promise<DirCheck> {
  const uid = process.getuid?.();
  let st;
  let created = false;
  try {
    st = await fs.lstat(path);
  } catch (err) {
    if (!isCode(err, 'ENOENT') || !o.create) return { ok: false, message: `The ${o.what} ${path} does not exist. Create it (mode 0700) or choose another with ${o.setWith}.` };
    try {
      await fs.mkdir(path, { recursive: true, mode: 0o700 });
      await fs.chmod(path, 0o700);
      created = true;
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
  if ((o.tighten || created) && (held.mode & 0o777) !== 0o700) await handle.chmod(0o700);
  else if (o.ownerOnly && (held.mode & 0o077) !== 0) {
    await handle.close();
    return {
      ok: false,
      message: `Refusing to use the ${o.what} ${path}: group or others can enter it (mode ${(held.mode & 0o777).toString(8)}). Run chmod 700 ${path}, or choose another with ${o.setWith}.`,
    };
  }
  return { ok: true, handle };
}

export function errCode(e: unknown): string {
  return typeof e === 'object' && e && 'code' in e ? String((e as { code: unknown }).code) : 'unknown error';
}

/**
 * Null when a client may talk to the socket at `socketPath`: its directory is a real directory
 * (not a link), ours, closed to group and others, and the socket in it (if any yet) is ours.
 * Otherwise why not, in words. Read-only: it changes nothing, so the site and `npm start` can run
 * it before every use of a socket that someone else might have placed.
 */
export async function socketPlaceProblem(socketPath: string): Promise<string | null> {
  const dir = dirname(socketPath);
  const uid = process.getuid?.();
  const st = await fs.lstat(dir).catch((err: unknown) => (isCode(err, 'ENOENT') ? null : Promise.reject(err)));
  if (!st) return null; // nothing there: connecting finds nothing either
  if (st.isSymbolicLink()) return `its directory ${dir} is a symbolic link`;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  if (uid !== undefined && st.uid !== uid) return `its directory ${dir} is owned by uid ${st.uid}, not by this user (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) return `its directory ${dir} is open to group or others (mode ${(st.mode & 0o777).toString(8)})`;
  const sock = await fs.lstat(socketPath).catch(() => null);
  if (sock && uid !== undefined && sock.uid !== uid) return `the socket is owned by uid ${sock.uid}, not by this user (uid ${uid})`;
  return null;
}
