/**
 * Which connector folders to check: all of connectors/, or the folders named by PATH arguments.
 * Symbolic links in place of a connector folder are problems, not folders.
 */
import type { Dirent } from 'node:fs';
import { readdir, lstat } from 'node:fs/promises';
import path from 'node:path';
import { SLUG_PATTERN } from '../schema/manifest.ts';
import { ConnectorNotFound, InvalidFolderName, InvalidPath, type ProblemCode } from './problem-codes.ts';
import type { Problem } from './types.ts';

export interface ScanResult {
  /** Folder names under connectors/ to validate fully. */
  folders: string[];
  /** Every real folder under connectors/ (for the cross-file rules). */
  allFolders: string[];
  errors: Problem[];
}

const whole = (file: string, code: ProblemCode, message: string): Problem => ({ file, line: 1, column: 1, path: '', code, message });

/** What the scan needs to know of an entry of connectors/ (a Dirent has it). */
type Entry = Pick<Dirent, 'name' | 'isSymbolicLink' | 'isDirectory'>;

/**
 * `namedOnly` (with `paths`): only the named folders are looked at, not every entry of
 * connectors/, and `allFolders` holds only those: for a caller that does not need the other
 * folders (a sync of a few changed folders; 100,000 entries cost 0.1 s to list).
 */
export async function scanConnectors(repoRoot: string, paths?: string[], opts: { namedOnly?: boolean } = {}): Promise<ScanResult> {
  const errors: Problem[] = [];
  const dir = path.join(repoRoot, 'connectors');
  let entries: Entry[] = [];
  try {
    entries = opts.namedOnly && paths?.length ? await namedEntries(dir, paths.map((p) => folderOf(repoRoot, p))) : await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const allFolders: string[] = [];
  const links = new Set<string>();
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (e.isSymbolicLink()) {
      links.add(e.name);
      errors.push(whole(`connectors/${e.name}`, 'symlink', `connectors/${e.name} is a symbolic link. Connector folders must be real folders: replace the link with the folder itself.`));
    } else if (e.isDirectory()) allFolders.push(e.name);
  }
  allFolders.sort();

  let folders = allFolders;
  if (paths?.length) {
    const wanted = new Set<string>();
    const problems: Problem[] = [];
    for (const p of paths) {
      const folder = folderOf(repoRoot, p);
      if (folder === undefined) {
        const shown = path.relative(repoRoot, path.resolve(repoRoot, p)).split(path.sep).join('/') || '.';
        problems.push(whole(shown, InvalidPath.code, InvalidPath.message(shown)));
      } else if (!allFolders.includes(folder) && !links.has(folder)) {
        problems.push(whole(path.posix.join('connectors', folder), ConnectorNotFound.code, ConnectorNotFound.message(folder)));
      } else if (!links.has(folder)) wanted.add(folder);
    }
    // Only the symlink problems about the named folders stay.
    const named = new Set(paths.map((p) => folderOf(repoRoot, p)));
    errors.splice(0, errors.length, ...errors.filter((e) => named.has(e.file.split('/')[1])), ...problems);
    folders = [...wanted].sort();
  }
  for (const f of folders) {
    if (!SLUG_PATTERN.test(f)) {
      errors.push(whole(`connectors/${f}`, InvalidFolderName.code, InvalidFolderName.message(f)));
    }
  }
  return { folders, allFolders, errors };
}

/** `connectors/x`, `connectors/x/`, `connectors/x/manifest.yaml` (relative or absolute) -> `x`. */
export function folderOf(repoRoot: string, p: string): string | undefined {
  const rel = path.relative(path.join(repoRoot, 'connectors'), path.resolve(repoRoot, p)).split(path.sep);
  if (!rel[0] || rel[0] === '..' || path.isAbsolute(rel[0])) return undefined;
  if (rel.length === 1 || (rel.length === 2 && (rel[1] === 'manifest.yaml' || rel[1] === 'spec.yaml'))) return rel[0];
  return undefined;
}

/** The named entries of `dir` as listing it would show them: missing ones left out. */
async function namedEntries(dir: string, names: (string | undefined)[]): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const name of new Set(names)) {
    if (name === undefined) continue;
    let st;
    try {
      st = await lstat(path.join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') continue;
      throw err;
    }
    out.push({ name, isSymbolicLink: () => st.isSymbolicLink(), isDirectory: () => st.isDirectory() });
  }
  return out;
}
