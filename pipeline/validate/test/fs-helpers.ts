/** Real temporary repositories for the file-system rules. */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { manifestFor, REPO_ROOT } from './helpers.ts';

export interface TempRepo {
  root: string;
  /** Writes connectors/<slug>/manifest.yaml (or another file name) and returns its path. */
  write(rel: string, content: string | Uint8Array): Promise<string>;
  remove(): Promise<void>;
}

export async function makeRepo(): Promise<TempRepo> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'validate-repo-'));
  await mkdir(path.join(root, 'connectors'));
  await writeFile(path.join(root, 'package.json'), '{"name":"temp-connectors","private":true}\n');
  await cp(path.join(REPO_ROOT, 'pipeline/catalog'), path.join(root, 'pipeline/catalog'), { recursive: true });
  return {
    root,
    async write(rel, content) {
      const file = path.join(root, rel);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, content);
      return file;
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

/** VALID for another slug (helpers.ts). */
export { manifestFor };
