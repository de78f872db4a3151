/**
 * `validate PATH ...`: each PATH must name a connector that exists, as connectors/<slug> or its
 * manifest.yaml. A path that does not exist or is not a connector folder is a usage error (exit 2)
 * that says so, not a problem "at line 1" of a file that is not there.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { folderOf } from '../validate/scan.ts';
import { didYouMean } from '../validate/suggest.ts';

/** One sentence per PATH that names no connector folder; empty when every one does. */
export async function connectorPathProblems(repoRoot: string, paths: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  const shown = (p: string) => {
    const rel = path.relative(repoRoot, p).split(path.sep).join('/');
    return rel.startsWith('..') ? p : rel || '.';
  };
  let existing: string[] | undefined;
  for (const p of paths) {
    const abs = path.resolve(repoRoot, p);
    const folder = folderOf(repoRoot, abs);
    if (folder === undefined) {
      const there = await lstat(abs).then(
        (st) => (st.isDirectory() ? 'is a folder, but not a connector folder' : 'is not a connector folder'),
        () => 'does not exist',
      );
      problems.push(`${shown(abs)} ${there}. Pass connectors/<slug> or connectors/<slug>/manifest.yaml.`);
      continue;
    }
    const st = await lstat(path.join(repoRoot, 'connectors', folder)).catch(() => null);
    if (st === null) {
      existing ??= await connectorFolders(repoRoot);
      const hint = didYouMean(folder, existing);
      problems.push(`connectors/${folder} does not exist: there is no connector "${folder}".${hint} To start one: npm run connectors -- new ${folder}`);
    } else if (!st.isDirectory() && !st.isSymbolicLink()) {
      problems.push(`connectors/${folder} is a file, not a connector folder.`);
    }
  }
  return problems;
}

async function connectorFolders(repoRoot: string): Promise<string[]> {
  const entries = await readdir(path.join(repoRoot, 'connectors'), { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
}
