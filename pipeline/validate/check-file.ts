/**
 * The file-system edge for one connector folder: reads its manifest (read-file.ts) and hands the
 * bytes to the pure validator, turning a missing file, a symbolic link or an oversized file into
 * problems. Used by the main thread and by the worker pool alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Catalog } from '../schema/manifest.ts';
import { tooLargeProblem } from './decode.ts';
import { validateManifestBytes, type ManifestResult } from './manifest.ts';
import { readManifestFile, readManifestFileSync, type ReadOutcome } from './read-file.ts';
import type { Problem } from './types.ts';

export const MANIFEST_NAME = 'manifest.yaml';

const whole = (file: string, code: string, message: string): Problem => ({ file, line: 1, column: 1, path: '', code, message });
const manifestPath = (repoRoot: string, folder: string) => path.join(repoRoot, 'connectors', folder, MANIFEST_NAME);

/** Validates connectors/<folder>/manifest.yaml under repoRoot; never throws for expected failures. */
export async function checkConnectorFolder(repoRoot: string, folder: string, catalog: Catalog): Promise<ManifestResult> {
  return judge(await readManifestFile(manifestPath(repoRoot, folder)), repoRoot, folder, catalog);
}

/** The same, blocking: for worker threads. */
export function checkConnectorFolderSync(repoRoot: string, folder: string, catalog: Catalog): ManifestResult {
  return judge(readManifestFileSync(manifestPath(repoRoot, folder)), repoRoot, folder, catalog);
}

function judge(read: ReadOutcome, repoRoot: string, folder: string, catalog: Catalog): ManifestResult {
  const file = `connectors/${folder}/${MANIFEST_NAME}`;
  switch (read.kind) {
    case 'bytes':
      return validateManifestBytes(read.bytes, file, catalog, folder);
    case 'too_large':
      return { errors: [tooLargeProblem(file, read.size)], warnings: [] };
    case 'not_a_file':
      return { errors: [whole(file, 'missing_manifest', `${file} is not a regular file. Make it the connector's manifest file.`)], warnings: [] };
    case 'error':
      return { errors: [openFailure(read.code, repoRoot, folder, file)], warnings: [] };
  }
}

function openFailure(code: string, repoRoot: string, folder: string, file: string): Problem {
  if (code === 'ELOOP') {
    return whole(file, 'symlink', `${file} is a symbolic link. Manifests must be real files inside the connector folder: replace the link with the file itself.`);
  }
  if (code === 'ENOENT') {
    // Rare (only for a broken folder), so a blocking look is fine here.
    const spec = fs.existsSync(path.join(repoRoot, 'connectors', folder, 'spec.yaml'));
    return spec
      ? whole(`connectors/${folder}/spec.yaml`, 'missing_manifest', `connectors/${folder}/ has a spec.yaml but no manifest.yaml: spec.yaml is the old name. Rename it (git mv connectors/${folder}/spec.yaml ${file}) and bring it to schema_version 1.`)
      : whole(`connectors/${folder}`, 'missing_manifest', `connectors/${folder}/ has no manifest.yaml. Add one (npm run connectors -- new ${folder} scaffolds it) or remove the folder.`);
  }
  return whole(file, 'read_error', `cannot read ${file} (${code}). Check the file's permissions.`);
}
