/**
 * The file-system edge for one connector folder: finds its manifest without following symbolic
 * links, refuses oversized files before reading them, and hands the bytes to the pure validator.
 * Used by the main thread and by the worker pool alike.
 */
import { constants } from 'node:fs';
import { open, lstat } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../schema/manifest.ts';
import { MAX_MANIFEST_BYTES, tooLargeProblem } from './decode.ts';
import { validateManifestBytes, type ManifestResult } from './manifest.ts';
import type { Problem } from './types.ts';

export const MANIFEST_NAME = 'manifest.yaml';

const whole = (file: string, code: string, message: string): Problem => ({ file, line: 1, column: 1, path: '', code, message });

/** Validates connectors/<folder>/manifest.yaml under repoRoot; never throws for expected failures. */
export async function checkConnectorFolder(repoRoot: string, folder: string, catalog: Catalog): Promise<ManifestResult> {
  const file = `connectors/${folder}/${MANIFEST_NAME}`;
  const abs = path.join(repoRoot, 'connectors', folder, MANIFEST_NAME);
  let handle;
  try {
    // O_NOFOLLOW: a symlinked manifest fails here with ELOOP instead of being read through.
    handle = await open(abs, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    return { errors: [await openFailure(err as NodeJS.ErrnoException, repoRoot, folder, file)], warnings: [] };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { errors: [whole(file, 'missing_manifest', `${file} is not a regular file. Make it the connector's manifest file.`)], warnings: [] };
    if (stat.size > MAX_MANIFEST_BYTES) return { errors: [tooLargeProblem(file, stat.size)], warnings: [] };
    const bytes = await handle.readFile();
    return validateManifestBytes(bytes, file, catalog, folder);
  } finally {
    await handle.close();
  }
}

async function openFailure(err: NodeJS.ErrnoException, repoRoot: string, folder: string, file: string): Promise<Problem> {
  if (err.code === 'ELOOP') {
    return whole(file, 'symlink', `${file} is a symbolic link. Manifests must be real files inside the connector folder: replace the link with the file itself.`);
  }
  if (err.code === 'ENOENT') {
    const spec = await lstat(path.join(repoRoot, 'connectors', folder, 'spec.yaml')).then(() => true, () => false);
    return spec
      ? whole(`connectors/${folder}/spec.yaml`, 'missing_manifest', `connectors/${folder}/ has a spec.yaml but no manifest.yaml: spec.yaml is the old name. Rename it (git mv connectors/${folder}/spec.yaml ${file}) and bring it to schema_version 1.`)
      : whole(`connectors/${folder}`, 'missing_manifest', `connectors/${folder}/ has no manifest.yaml. Add one (npm run connectors -- new ${folder} scaffolds it) or remove the folder.`);
  }
  return whole(file, 'read_error', `cannot read ${file} (${err.code ?? err.message}). Check the file's permissions.`);
}
