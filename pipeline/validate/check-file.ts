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
import { sourceSha256, type KnownSource } from './unchanged.ts';

export const MANIFEST_NAME = 'manifest.yaml';

const whole = (file: string, code: string, message: string): Problem => ({ file, line: 1, column: 1, path: '', code, message });
const manifestPath = (repoRoot: string, folder: string) => path.join(repoRoot, 'connectors', folder, MANIFEST_NAME);

/**
 * Sources known valid under the current validation fingerprint, by slug (see unchanged.ts); only
 * given by plan/sync when the fingerprint matches the last sync's.
 */
export type UnchangedSources = ReadonlyMap<string, KnownSource>;

export interface FolderCheckOptions {
  /** Manifests whose bytes hash to the known sha256 are accepted unchanged, unparsed. */
  known?: UnchangedSources;
  /** The full validator of one file's bytes (default validateManifestBytes); tests inject a counting one. */
  validateBytes?: typeof validateManifestBytes;
}

/** Validates connectors/<folder>/manifest.yaml under repoRoot; never throws for expected failures. */
export async function checkConnectorFolder(repoRoot: string, folder: string, catalog: Catalog, opts: FolderCheckOptions = {}): Promise<ManifestResult> {
  return judge(await readManifestFile(manifestPath(repoRoot, folder)), repoRoot, folder, catalog, opts);
}

/** The same, blocking: for worker threads. */
export function checkConnectorFolderSync(repoRoot: string, folder: string, catalog: Catalog, opts: FolderCheckOptions = {}): ManifestResult {
  return judge(readManifestFileSync(manifestPath(repoRoot, folder)), repoRoot, folder, catalog, opts);
}

/**
 * Only a read that yields bytes can be skipped: a symbolic link, a missing or oversized manifest is
 * judged as always. The bytes are hashed either way, so sync can remember what it validated.
 */
function judge(read: ReadOutcome, repoRoot: string, folder: string, catalog: Catalog, opts: FolderCheckOptions): ManifestResult {
  const file = `connectors/${folder}/${MANIFEST_NAME}`;
  switch (read.kind) {
    case 'bytes': {
      const sha256 = sourceSha256(read.bytes);
      const prior = opts.known?.get(folder);
      if (prior && prior.sha256 === sha256) {
        return {
          errors: [], warnings: [],
          declaredSlug: { slug: folder, line: 0, column: 0 },
          connector: { kind: 'unchanged', slug: folder, file, digest: prior.digest, source_sha256: sha256 },
        };
      }
      const result = (opts.validateBytes ?? validateManifestBytes)(read.bytes, file, catalog, folder);
      if (result.connector) result.connector.source_sha256 = sha256;
      return result;
    }
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
