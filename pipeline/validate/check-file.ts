/**
 * The file-system edge for one connector folder: reads the whole folder (connector-folder.ts) and
 * hands the manifest's bytes to the pure validator, turning a missing file, a symbolic link or an
 * oversized file into problems; the digest covers the manifest and every other file of the folder.
 * Used by the main thread and by the worker pool alike.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { connectorDigestOfJson } from '../schema/digest.ts';
import type { Catalog } from '../schema/manifest.ts';
import { folderSourceSha256, readConnectorFolderSync, type FolderRead } from './connector-folder.ts';
import { tooLargeProblem } from './decode.ts';
import { validateManifestBytes, type ManifestResult } from './manifest.ts';
import { detached, manifestJsonOf } from './parsed-connector.ts';
import type { ReadOutcome } from './read-file.ts';
import { ManifestNotAFile, MissingManifest, OldManifestName, type ProblemCode } from './problem-codes.ts';
import type { Problem } from './types.ts';
import type { KnownSource } from './unchanged.ts';

export const MANIFEST_NAME = 'manifest.yaml';

const whole = (file: string, code: ProblemCode, message: string): Problem => ({ file, line: 1, column: 1, path: '', code, message });

/**
 * Sources known valid under the current validation fingerprint, by slug (see unchanged.ts); only
 * given by plan/sync when the fingerprint matches the last sync's.
 */
export type UnchangedSources = ReadonlyMap<string, KnownSource>;

export interface FolderCheckOptions {
  /** Folders whose files hash to the known source sha256 are accepted unchanged, unparsed. */
  known?: UnchangedSources;
  /** The full validator of one file's bytes (default validateManifestBytes); tests inject a counting one. */
  validateBytes?: typeof validateManifestBytes;
  /**
   * What a result keeps (default 'connectors'). 'problems': the problems and what the cross-file
   * rules need (declared slug and key names), never the connector, so no file is hashed, no digest
   * computed and nothing is skipped by `known`: every manifest is read and judged in full.
   */
  keep?: ResultsKept;
}

/** What validation results keep: the valid connectors with their digests (plan/sync), or only the problems (`validate`). */
export type ResultsKept = 'connectors' | 'problems';

/**
 * Validates connectors/<folder>/ under repoRoot; never throws for expected failures. The reads are
 * blocking (a folder is a few small files): one turn of the event loop per folder keeps the
 * process responsive while a caller runs several of these.
 */
export async function checkConnectorFolder(repoRoot: string, folder: string, catalog: Catalog, opts: FolderCheckOptions = {}): Promise<ManifestResult> {
  await yieldToEventLoop();
  return checkConnectorFolderSync(repoRoot, folder, catalog, opts);
}

/** The same, blocking: for worker threads and the pool's main-thread chunks. */
export function checkConnectorFolderSync(repoRoot: string, folder: string, catalog: Catalog, opts: FolderCheckOptions = {}): ManifestResult {
  if (opts.keep === 'problems') return judgeProblems(readConnectorFolderSync(repoRoot, folder, { hash: false }), repoRoot, folder, catalog, opts);
  return judge(readConnectorFolderSync(repoRoot, folder), repoRoot, folder, catalog, opts);
}

/**
 * Only a folder whose manifest reads as bytes and which holds nothing refused can be skipped; the
 * rest is judged as always. The folder's files are hashed either way, so sync can remember them.
 */
function judge(read: FolderRead, repoRoot: string, folder: string, catalog: Catalog, opts: FolderCheckOptions): ManifestResult {
  const file = `connectors/${folder}/${MANIFEST_NAME}`;
  const fileProblems = read.problems;
  switch (read.manifest.kind) {
    case 'bytes': {
      const sha256 = folderSourceSha256(read.files);
      const prior = opts.known?.get(folder);
      if (prior && prior.sha256 === sha256 && fileProblems.length === 0) {
        return {
          errors: [], warnings: [],
          declaredSlug: { slug: folder },
          connector: { kind: 'unchanged', slug: folder, file, digest: prior.digest, source_sha256: sha256, files: read.files },
        };
      }
      // The connector digest below covers the manifest digest: not computed twice.
      const result = withDetachedNames((opts.validateBytes ?? validateManifestBytes)(read.manifest.bytes, file, catalog, folder, { digest: false }));
      const connector = result.connector;
      if (fileProblems.length > 0) return { ...result, errors: [...result.errors, ...fileProblems], connector: undefined };
      if (connector?.kind === 'parsed') {
        connector.source_sha256 = sha256;
        connector.files = read.files;
        connector.digest = connectorDigestOfJson(manifestJsonOf(connector), read.files);
      }
      return result;
    }
    default:
      return unreadable(read.manifest, read.problems, repoRoot, folder, file);
  }
}

/** The same judgement keeping only problems (keep: 'problems'): same problems, no connector, no digest. */
function judgeProblems(read: FolderRead, repoRoot: string, folder: string, catalog: Catalog, opts: FolderCheckOptions): ManifestResult {
  const file = `connectors/${folder}/${MANIFEST_NAME}`;
  if (read.manifest.kind !== 'bytes') return unreadable(read.manifest, read.problems, repoRoot, folder, file);
  const { errors, warnings, declaredSlug, declaredKeys } = withDetachedNames(
    (opts.validateBytes ?? validateManifestBytes)(read.manifest.bytes, file, catalog, folder, { digest: false, connector: false }),
  );
  return { errors: read.problems.length > 0 ? [...errors, ...read.problems] : errors, warnings, declaredSlug, declaredKeys };
}

/**
 * The declared slug and key names are kept to the end of validateRepo for the cross-file rules:
 * as copies, so that they do not keep the manifest's text alive (parsed-connector.ts detached).
 */
function withDetachedNames(r: ManifestResult): ManifestResult {
  if (r.declaredSlug) r.declaredSlug = { ...r.declaredSlug, slug: detached(r.declaredSlug.slug) };
  if (r.declaredKeys) r.declaredKeys = r.declaredKeys.map((k) => ({ key: detached(k.key), index: k.index }));
  return r;
}

/** A manifest that could not be read as bytes: one problem for it, then the folder's. */
function unreadable(manifest: Exclude<ReadOutcome, { kind: 'bytes' }>, fileProblems: Problem[], repoRoot: string, folder: string, file: string): ManifestResult {
  switch (manifest.kind) {
    case 'too_large':
      return { errors: [tooLargeProblem(file, manifest.size), ...fileProblems], warnings: [] };
    case 'not_a_file':
      return { errors: [whole(file, ManifestNotAFile.code, ManifestNotAFile.message(file)), ...fileProblems], warnings: [] };
    case 'error':
      return { errors: [openFailure(manifest.code, repoRoot, folder, file), ...fileProblems], warnings: [] };
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
      ? whole(`connectors/${folder}/spec.yaml`, OldManifestName.code, OldManifestName.message(folder))
      : whole(`connectors/${folder}`, MissingManifest.code, MissingManifest.message(folder));
  }
  return whole(file, 'read_error', `cannot read ${file} (${code}). Check the file's permissions.`);
}
