/**
 * validateRepo: the catalogues, every connector folder (or the named ones) and the cross-file rules.
 * Reads with bounded concurrency; with many manifests the parsing moves to a worker pool.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import type { Catalog } from '../schema/manifest.ts';
import { loadCatalog } from './catalog.ts';
import { checkConnectorFolder, MANIFEST_NAME, type FolderCheckOptions, type ResultsKept } from './check-file.ts';
import { MAX_MANIFEST_BYTES } from './decode.ts';
import type { DeclaredSlug, ManifestResult } from './manifest.ts';
import { POOL_THRESHOLD, checkFoldersInPool, type PoolOptions } from './pool.ts';
import { scanConnectors } from './scan.ts';
import { sharedSecretKeys } from './secret-keys.ts';
import type { Problem, UnchangedConnector, ValidationResult, ValidConnector } from './types.ts';
import type { Position } from './yaml-safe.ts';
import { validationFingerprint, type KnownSources } from './unchanged.ts';

export interface ValidateRepoOptions {
  repoRoot: string;
  /** Connector folders or manifests (absolute, or relative to repoRoot); default every connector. */
  paths?: string[];
  /** Worker threads for large trees (default true); false keeps all work on the main thread, 'always' uses the pool for any count. */
  workers?: boolean | 'always';
  /** Tuning for the pool (worker count, chunk size); mostly for tests and the bench. */
  pool?: PoolOptions;
  /**
   * What the registry knows of the last sync (plan/sync only; `validate` never passes it). When its
   * fingerprint equals this validation's, manifests whose bytes hash to the registry's source_sha256
   * are accepted unchanged without parsing (see unchanged.ts); otherwise everything is validated.
   */
  known?: KnownSources;
  /** For tests: the full validator of one file (runs on the main thread only when given). */
  validateBytes?: FolderCheckOptions['validateBytes'];
  /**
   * What the result keeps (default 'connectors': every valid connector with its manifest, files and
   * digest, as plan/sync need). 'problems' (`validate`): the same ok, checked, errors and warnings,
   * but `connectors` is empty: no digest is computed, no file hashed, no parsed manifest kept, and
   * `known` is ignored, so every manifest is read and judged in full.
   */
  keep?: ResultsKept;
  /**
   * With `paths`: the folders not named are vouched for by the registry (sync of a few changed
   * folders, pipeline/sentinel/sync.ts): the cross-file rules look only at the named folders and
   * do not read the others; the caller checks the named ones against the registry instead.
   * Default false: the other folders' slugs and key names are read.
   */
  othersVouched?: boolean;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping the results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return out;
}

export const READ_CONCURRENCY = 16;

export async function checkFolders(repoRoot: string, folders: string[], catalog: Catalog, check: FolderCheckOptions = {}): Promise<ManifestResult[]> {
  return mapLimit(folders, READ_CONCURRENCY, (f) => checkConnectorFolder(repoRoot, f, catalog, check));
}

export async function validateRepo(opts: ValidateRepoOptions): Promise<ValidationResult> {
  const repoRoot = path.resolve(opts.repoRoot);
  const [loaded, scan] = await Promise.all([loadCatalog(repoRoot), scanConnectors(repoRoot, opts.paths, { namedOnly: opts.othersVouched })]);
  // Invalid catalogues: no fingerprint, so nothing is skipped (and nothing will be synced).
  const fingerprint = loaded.errors.length === 0 ? validationFingerprint(loaded.catalog) : undefined;
  const problemsOnly = opts.keep === 'problems';
  const skipping = !problemsOnly && fingerprint !== undefined && opts.known !== undefined && opts.known.fingerprint === fingerprint;
  const check: FolderCheckOptions = { known: skipping ? opts.known!.sources : undefined, validateBytes: opts.validateBytes, keep: opts.keep };
  // Folders git vouches for are not read at all; only the others are.
  const unread = skipping ? unreadConnectors(scan.folders, opts.known!) : new Map<string, UnchangedConnector>();
  const toRead = unread.size === 0 ? scan.folders : scan.folders.filter((f) => !unread.has(f));
  // Many folders: chunks shared by the main thread and worker threads (none when workers is false).
  const usePool = opts.workers === 'always' || toRead.length > POOL_THRESHOLD;
  const mainOnly = opts.workers === false || opts.validateBytes !== undefined;
  const pool = mainOnly ? { ...opts.pool, workers: 0, mainThreadWorks: true } : opts.pool;
  const results = usePool
    ? await checkFoldersInPool(repoRoot, toRead, loaded.catalog, pool, check)
    : await checkFolders(repoRoot, toRead, loaded.catalog, check);

  const errors: Problem[] = [...loaded.errors, ...scan.errors];
  const warnings: Problem[] = [];
  const connectors: ValidConnector[] = [];
  let skipped = 0;
  let next = 0;
  // In scan order; toRead[i] pairs with results[i].
  for (const folder of scan.folders) {
    const taken = unread.get(folder);
    if (taken) {
      connectors.push(taken);
      skipped++;
      continue;
    }
    const r = results[next++]!;
    errors.push(...r.errors);
    warnings.push(...r.warnings);
    if (r.connector) connectors.push(r.connector);
    if (r.connector?.kind === 'unchanged') skipped++;
  }
  // The cross-file rules look at the folders read; an unread folder's slug is its name (it is the
  // registry's), and its key names are the registry's, which the sentinel checks (key-owners.ts).
  const unreadNames = new Set(unread.keys());
  const others = opts.othersVouched && opts.paths?.length ? toRead
    : unreadNames.size === 0 ? scan.allFolders : scan.allFolders.filter((f) => !unreadNames.has(f));
  errors.push(...(await duplicateSlugs(repoRoot, toRead, others, results, unreadNames)));
  errors.push(...(await sharedSecretKeys(repoRoot, toRead, others, results)));

  const valid = errors.length === 0;
  const failedFiles = new Set(errors.map((e) => e.file));
  return {
    ok: valid,
    checked: loaded.checked + scan.folders.length,
    checked_files: { manifests: scan.folders.length, catalogues: loaded.checked },
    errors: sortProblems(errors),
    warnings: sortProblems(warnings),
    connectors: connectors.filter((c) => !failedFiles.has(c.file)),
    catalog: loaded.catalog,
    fingerprint,
    skipped_unchanged: skipped,
  };
}

/**
 * The folders of `folders` that `known.untouched` names and the registry has a source for, as
 * unchanged connectors: valid, with the registry's digest, sha256 and tree id. No files: not read.
 */
function unreadConnectors(folders: string[], known: KnownSources): Map<string, UnchangedConnector> {
  const out = new Map<string, UnchangedConnector>();
  if (!known.untouched || known.untouched.size === 0) return out;
  for (const folder of folders) {
    const prior = known.untouched.has(folder) ? known.sources.get(folder) : undefined;
    if (!prior) continue;
    out.set(folder, {
      kind: 'unchanged', unread: true, slug: folder, file: `connectors/${folder}/${MANIFEST_NAME}`,
      digest: prior.digest, source_sha256: prior.sha256, source_tree: prior.tree ?? null,
    });
  }
  return out;
}

export function sortProblems(list: Problem[]): Problem[] {
  return list.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

/**
 * Two manifests with one provider_slug. Checked over the whole tree even when only some folders
 * were named: the other folders' slugs are read cheaply (one line, not a full validation).
 */
async function duplicateSlugs(
  repoRoot: string, folders: string[], allFolders: string[], results: ManifestResult[], unread: ReadonlySet<string> = new Set(),
): Promise<Problem[]> {
  /** `at` absent: not located yet (an unchanged manifest, not parsed). */
  type Owner = { folder: string; at?: Position; checked: boolean };
  const owners = new Map<string, Owner[]>();
  const note = (slug: string, v: Owner) => {
    const list = owners.get(slug) ?? [];
    list.push(v);
    owners.set(slug, list);
  };
  folders.forEach((folder, i) => {
    const d = results[i]?.declaredSlug;
    if (d) note(d.slug, { folder, at: d.at, checked: true });
  });
  // An unread folder declares its own name (the registry synced it so); that only matters when a
  // folder read declares the same slug, so only then is it noted (and located in its file below).
  for (const slug of [...owners.keys()]) if (unread.has(slug)) note(slug, { folder: slug, checked: true });
  const checked = new Set(folders);
  const others = allFolders.filter((f) => !checked.has(f));
  const slugs = await mapLimit(others, READ_CONCURRENCY, (f) => quickSlug(repoRoot, f));
  others.forEach((folder, i) => {
    const s = slugs[i];
    if (s) note(s.slug, { folder, at: s.at, checked: false });
  });

  const problems: Problem[] = [];
  for (const [slug, list] of owners) {
    if (list.length < 2) continue;
    for (const o of list) {
      if (!o.checked) continue;
      // An unchanged manifest was not parsed: find its provider_slug line now that it matters.
      const at = o.at ?? (await quickSlug(repoRoot, o.folder))?.at ?? { line: 1, column: 1 };
      const elsewhere = list.filter((x) => x !== o).map((x) => `connectors/${x.folder}/manifest.yaml`);
      problems.push({
        file: `connectors/${o.folder}/manifest.yaml`, line: at.line, column: at.column, path: 'provider_slug', code: 'duplicate_provider_slug',
        message: `provider_slug "${slug}" is also declared by ${elsewhere.join(', ')}. Each connector has its own slug, equal to its folder name: change one of them.`,
      });
    }
  }
  return problems;
}

/** provider_slug from a manifest's text by a line match: enough for the duplicate check of unnamed folders. */
async function quickSlug(repoRoot: string, folder: string): Promise<DeclaredSlug | undefined> {
  let handle;
  try {
    handle = await open(path.join(repoRoot, 'connectors', folder, 'manifest.yaml'), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const stat = await handle.stat();
    if (!stat.isFile() || stat.size > MAX_MANIFEST_BYTES) return undefined;
    const text = (await handle.readFile()).toString('utf8');
    const m = /^provider_slug:[ \t]*(["']?)([a-z][a-z0-9_]*)\1[ \t]*(#.*)?$/m.exec(text);
    if (!m) return undefined;
    const before = text.slice(0, m.index);
    return { slug: m[2]!, at: { line: before.split('\n').length, column: m[0].indexOf(m[2]!, 14) + 1 } };
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}
