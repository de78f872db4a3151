/**
 * The vault dir, held by a descriptor opened once (O_DIRECTORY|O_NOFOLLOW) and checked at start,
 * so that every later open, rename, unlink, lstat and readdir happens in *that* directory, even if
 * someone renames the vault path away and puts a symbolic link to another directory in its place.
 *
 * POSIX has openat/renameat/unlinkat for this, but Node does not expose them. On Linux,
 * `/proc/self/fd/<fd>/<name>` resolves through the held descriptor (the kernel follows the
 * magic link to the directory the descriptor refers to, not to whatever the vault path names
 * now), so passing such paths to Node's ordinary fs calls gives the same guarantee. Where /proc
 * is not available (macOS), names fall back to `<vault dir>/<name>` and the store's check that the
 * path still names the held directory is the only guard.
 */
import { promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface HeldDir {
  /** The vault path as configured, for messages and for the identity check. */
  readonly path: string;
  /** The open directory. */
  readonly handle: FileHandle;
  /** True when names resolve through the descriptor (Linux), false when through `path`. */
  readonly throughDescriptor: boolean;
  /** A path naming the held directory itself (for readdir). */
  readonly root: string;
  /** A path naming `name` inside the held directory (`name` must be a single path component). */
  at(name: string): string;
}

export async function holdDir(path: string, handle: FileHandle): Promise<HeldDir> {
  const viaFd = `/proc/self/fd/${handle.fd}`;
  const throughDescriptor = await procResolves(viaFd, handle);
  return {
    path,
    handle,
    throughDescriptor,
    root: throughDescriptor ? viaFd : path,
    at: (name) => {
      if (name === '' || name === '.' || name === '..' || name.includes('/')) throw new Error(`not a name inside the vault dir: ${JSON.stringify(name)}`);
      return throughDescriptor ? `${viaFd}/${name}` : join(path, name);
    },
  };
}

/** True when `/proc/self/fd/N` resolves to the directory the descriptor holds (same device and inode). */
async function procResolves(viaFd: string, handle: FileHandle): Promise<boolean> {
  try {
    const [a, b] = await Promise.all([fs.stat(viaFd), handle.stat()]);
    return a.isDirectory() && a.ino === b.ino && a.dev === b.dev;
  } catch {
    return false;
  }
}
