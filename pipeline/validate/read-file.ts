/**
 * Reads one manifest without following a symbolic link and without reading an oversized file.
 * Callback fs, not fs/promises: FileHandle objects cost about three times more per file, which
 * shows at 10,000 manifests. The sync variant is for worker threads, where blocking is free.
 */
import fs, { constants } from 'node:fs';
import { MAX_MANIFEST_BYTES } from './decode.ts';

export type ReadOutcome =
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'too_large'; size: number }
  | { kind: 'not_a_file' }
  | { kind: 'error'; code: string };

/**
 * O_NOFOLLOW: a symlinked file fails with ELOOP instead of being read through. O_NONBLOCK: opening
 * a FIFO returns at once instead of waiting for a writer (fstat then refuses it as not a file);
 * regular files read the same with or without it. Catalogues are read through here too.
 */
const FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
const errCode = (err: NodeJS.ErrnoException) => err.code ?? err.message;

export function readManifestFile(abs: string): Promise<ReadOutcome> {
  return new Promise((resolve) => {
    fs.open(abs, FLAGS, (err, fd) => {
      if (err) return resolve({ kind: 'error', code: errCode(err) });
      const done = (outcome: ReadOutcome) => fs.close(fd, () => resolve(outcome));
      fs.fstat(fd, (err2, st) => {
        if (err2) return done({ kind: 'error', code: errCode(err2) });
        if (!st.isFile()) return done({ kind: 'not_a_file' });
        if (st.size > MAX_MANIFEST_BYTES) return done({ kind: 'too_large', size: st.size });
        // One byte more than the size: a file that grew since fstat is still caught as too large.
        const buf = Buffer.allocUnsafe(st.size + 1);
        fs.read(fd, buf, 0, buf.length, 0, (err3, n) => {
          if (err3) return done({ kind: 'error', code: errCode(err3) });
          done(n > MAX_MANIFEST_BYTES ? { kind: 'too_large', size: n } : { kind: 'bytes', bytes: buf.subarray(0, n) });
        });
      });
    });
  });
}

export function readManifestFileSync(abs: string): ReadOutcome {
  let fd: number;
  try {
    fd = fs.openSync(abs, FLAGS);
  } catch (err) {
    return { kind: 'error', code: errCode(err as NodeJS.ErrnoException) };
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return { kind: 'not_a_file' };
    if (st.size > MAX_MANIFEST_BYTES) return { kind: 'too_large', size: st.size };
    const buf = Buffer.allocUnsafe(st.size + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return n > MAX_MANIFEST_BYTES ? { kind: 'too_large', size: n } : { kind: 'bytes', bytes: buf.subarray(0, n) };
  } catch (err) {
    return { kind: 'error', code: errCode(err as NodeJS.ErrnoException) };
  } finally {
    fs.closeSync(fd);
  }
}
