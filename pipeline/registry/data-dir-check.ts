/**
 * Words for a data dir the registry cannot use: damaged files, a read-only disk, a missing
 * permission. PGlite's own messages say nothing an operator can act on ("Aborted(). Build with
 * -sASSERTIONS for more info.", "PGlite failed to initialize properly", a bare EROFS), and worse,
 * PGlite given a cluster directory without PG_VERSION silently initialises a new, empty one over
 * it. So the files are checked before PGlite sees them, and its failures are translated.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** The registry's files are damaged or the data dir cannot be used; the message says where, what and what to do. */
export class DataDirError extends Error {
  override name = 'DataDirError';
}

/** PostgreSQL's control file is exactly this long (PG_CONTROL_FILE_SIZE). */
const PG_CONTROL_BYTES = 8192;

/** What to do about a damaged registry in `dataDir`, in one sentence for every message. */
export function damagedAdvice(dataDir: string): string {
  return (
    `Restore ${dataDir} from a copy (with npm start stopped), or move it aside (mv ${dataDir} ${dataDir}.damaged) and run npm start, ` +
    `which builds a new registry from the repository: connectors come back as drafts to approve again, and the old registry's ` +
    `approvals, licences and history stay in the moved copy. npm run connectors -- doctor shows what it finds.`
  );
}

/**
 * Null when `pgdata` is a cluster PGlite can open, or does not exist yet / is empty (a new one is
 * made); else what is wrong with it, in words.
 */
export async function registryFilesProblem(pgdata: string): Promise<string | null> {
  const entries = await readdir(pgdata).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
  if (entries === null || entries.length === 0) return null;
  const version = await readFile(path.join(pgdata, 'PG_VERSION'), 'utf8').catch(() => null);
  if (version === null) return `${path.join(pgdata, 'PG_VERSION')} is missing, so this is not a whole PostgreSQL cluster`;
  if (!/^\d+\s*$/.test(version)) return `${path.join(pgdata, 'PG_VERSION')} does not hold a version number`;
  const control = await stat(path.join(pgdata, 'global', 'pg_control')).catch(() => null);
  if (!control) return `its control file ${path.join(pgdata, 'global', 'pg_control')} is missing`;
  if (control.size !== PG_CONTROL_BYTES) {
    return `its control file ${path.join(pgdata, 'global', 'pg_control')} is ${control.size} bytes instead of ${PG_CONTROL_BYTES} (truncated or overwritten)`;
  }
  if (!(await stat(path.join(pgdata, 'base')).catch(() => null))?.isDirectory()) return `its tables directory ${path.join(pgdata, 'base')} is missing`;
  return null;
}

/** Words for a file-system error code met on `target` (EROFS, EACCES, ENOSPC…), or null for other codes. */
export function fileSystemWords(code: string | undefined, target: string, setWith: string): string | null {
  switch (code) {
    case 'EROFS':
      return `${target} is on a read-only file system (EROFS), so the registry cannot be written there. Remount it read-write, or choose a data dir on a writable disk with ${setWith}.`;
    case 'EACCES':
    case 'EPERM':
      return `no permission to write in ${target} (${code}). Fix its permission (it must be yours, mode 0700: chmod 700 ${target}), or choose another data dir with ${setWith}.`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk holding ${target} is full (${code}). Free some space and try again.`;
    default:
      return null;
  }
}

/** The errno code of `err` or of any error in its cause chain. */
export function errnoOf(err: unknown): string | undefined {
  for (let e = err; e instanceof Error; e = (e as { cause?: unknown }).cause) {
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/** Explains a failure of PGlite opening `pgdata`: damaged files, or the file system refusing. */
export function explainOpenFailure(err: unknown, pgdata: string, dataDir: string, setWith: string): DataDirError {
  const fs = fileSystemWords(errnoOf(err), dataDir, setWith);
  if (fs) return new DataDirError(`could not open the embedded registry: ${fs}`, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  const what = /Aborted\(\)|failed to initialize|RuntimeError|unreachable|out of bounds/i.test(message)
    ? 'PostgreSQL stopped while reading its files'
    : `PostgreSQL could not start on its files (${message.split('\n')[0]})`;
  return new DataDirError(`the embedded registry in ${pgdata} is damaged: ${what}. ${damagedAdvice(dataDir)}`, { cause: err });
}
