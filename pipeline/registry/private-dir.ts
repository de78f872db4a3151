/**
 * The data dir is private to the user running the factory: a real directory (never a symbolic
 * link, which another user could point anywhere), owned by this user, mode 0700, and everything
 * under it 0700 (directories) or 0600 (files), whatever the umask. PGlite unpacks its files 0666
 * and creates directories by the umask, so the owner tightens the whole tree when it opens the
 * registry and again when it closes it; the 0700 data dir keeps others out in between.
 */
import { constants, readFileSync } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';

/** A data dir or run dir this process must not use; the message says which, why and what to do. */
export class PrivateDirError extends Error {
  override name = 'PrivateDirError';
}

export interface PrivateDirOptions {
  /** For messages: "data dir". */
  what: string;
  /** For messages: how the user picks another, "--data-dir or CONNECTORS_DATA_DIR". */
  setWith: string;
}

/**
 * Makes sure `dir` is a private directory: creates it 0700 when missing (parents as usual),
 * refuses a symbolic link, a non-directory or another user's directory, and makes an existing
 * directory that is open to others 0700. Returns true when it had to tighten the mode.
 */
export async function ensurePrivateDir(dir: string, o: PrivateDirOptions): Promise<boolean> {
  let st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw new PrivateDirError(`could not inspect the ${o.what} ${dir} (${err.code ?? err.message}).`);
    return null;
  });
  if (!st) {
    await mkdir(path.dirname(dir), { recursive: true });
    await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw new PrivateDirError(`could not create the ${o.what} ${dir} (${err.code ?? err.message}). Choose another with ${o.setWith}.`);
    });
    st = await lstat(dir);
  }
  if (st.isSymbolicLink()) {
    const target = await readlink(dir).catch(() => '?');
    throw new PrivateDirError(
      `refusing to use the ${o.what} ${dir}: it is a symbolic link (to ${target}), which could lead anywhere. ` +
        `Point ${o.setWith} at the real directory, or replace the link with a directory you own.`,
    );
  }
  if (!st.isDirectory()) throw new PrivateDirError(`refusing to use the ${o.what} ${dir}: it is not a directory. Remove it or choose another with ${o.setWith}.`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new PrivateDirError(
      `refusing to use the ${o.what} ${dir}: it is owned by ${userLabel(st.uid)}, not by you (${userLabel(uid)}), ` +
        `so its owner could read or change the registry. Use a ${o.what} you own (${o.setWith}), or have ${dir} removed.`,
    );
  }
  // Open without following links and compare, so the mode we fix is the directory we checked.
  const handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  try {
    const held = await handle.stat();
    if (held.ino !== st.ino || held.dev !== st.dev) throw new PrivateDirError(`the ${o.what} ${dir} was replaced while it was being checked; try again.`);
    if ((held.mode & 0o777) === 0o700) return false;
    await handle.chmod(0o700);
    return true;
  } finally {
    await handle.close();
  }
}

/**
 * Null when `dir` is a private directory (not a link, ours, no access for group or others), else
 * why not. For a directory we are about to trust with a socket that someone else created.
 */
export async function privateDirProblem(dir: string): Promise<string | null> {
  const st = await lstat(dir).catch(() => null);
  if (!st) return `${dir} does not exist`;
  if (st.isSymbolicLink()) return `${dir} is a symbolic link`;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `${dir} is owned by ${userLabel(st.uid)}, not by you (${userLabel(uid)})`;
  if ((st.mode & 0o077) !== 0) return `${dir} is open to group or others (mode ${(st.mode & 0o777).toString(8)})`;
  return null;
}

/**
 * Gives every directory under `dir` mode 0700 and every other entry 0600, without following
 * symbolic links (a link is never chmod-ed, nor what it points to). Returns how many it changed.
 * Entries that vanish during the walk (PGlite removing a temp file) are skipped.
 */
export async function tightenTree(dir: string): Promise<number> {
  let changed = 0;
  const entries = await readdir(dir, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  for (const entry of entries) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const want = entry.isDirectory() ? 0o700 : 0o600;
    const st = await lstat(p).catch(() => null);
    if (!st || st.isSymbolicLink()) continue;
    if ((st.mode & 0o777) !== want) {
      await chmod(p, want).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      changed++;
    }
    if (st.isDirectory()) changed += await tightenTree(p);
  }
  return changed;
}

/** "uid 65534 (nobody)": the uid with its name from /etc/passwd when there is one. */
export function userLabel(uid: number): string {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id === String(uid) && name) return `uid ${uid} (${name})`;
    }
  } catch {
    // no passwd file: the number alone
  }
  return `uid ${uid}`;
}
