/**
 * Generates a repository tree of N synthetic connectors for the bench and its tests:
 * `<dir>/repo` holds pipeline/catalog/*.yaml (copied from the real catalogues) and
 * connectors/<slug>/manifest.yaml, optionally as a git repository with all of it committed
 * (git-tree.ts); `<dir>/json` holds the same data as JSON files in the same layout, which the
 * validation floor reads and parses.
 */
import { mkdir, readdir, readFile, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { coreKpiSchema, firearmTypeSchema, type Catalog, type Manifest } from '../schema/manifest.ts';
import { AUTHORED, manifestYaml } from '../schema/manifest-yaml.ts';
import { commitFile, startTreeCommit } from './git-tree.ts';
import { syntheticManifest, syntheticSlug } from './synthetic.ts';

export const DEFAULT_SEED = 20260101;
export const REAL_CATALOG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../catalog');

export interface GenerateOptions {
  /** An empty (or new) directory to generate into, e.g. under os.tmpdir(). */
  dir: string;
  connectors: number;
  /** Default DEFAULT_SEED: the same seed gives byte-identical trees. */
  seed?: number;
  /** Where the catalogues are copied from; default the project's pipeline/catalog. */
  catalogDir?: string;
  /** Make `repo` a git repository with every file committed, as a real checkout is (default false). */
  git?: boolean;
}

export interface GeneratedTree {
  repoRoot: string;
  jsonRoot: string;
  seed: number;
  catalog: Catalog;
  /** Whether repoRoot is a git repository (GenerateOptions.git). */
  git: boolean;
  slugs: string[];
  /** Manifest i as the validator should return it (regenerated, not held: N can be large). */
  manifest(index: number): Manifest;
  /** connectors/<slug>/manifest.yaml of connector i, relative to repoRoot. */
  manifestFile(index: number): string;
}

/** Reads and checks the catalogues; throws with the file name when one is missing or invalid. */
export async function loadCatalog(catalogDir: string): Promise<Catalog> {
  const read = async (file: string, key: string) => {
    const full = path.join(catalogDir, file);
    let text: string;
    try {
      text = await readFile(full, 'utf8');
    } catch {
      throw new Error(`the bench needs ${full} (the catalogue the generated manifests refer to); it is missing`);
    }
    const list = (parse(text) as Record<string, unknown> | null)?.[key];
    if (!Array.isArray(list)) throw new Error(`${full} has no "${key}" list`);
    return list;
  };
  return {
    firearmTypes: (await read('firearm-types.yaml', 'firearm_types')).map((x) => firearmTypeSchema.parse(x)),
    coreKpis: (await read('core-kpis.yaml', 'core_kpis')).map((x) => coreKpiSchema.parse(x)),
  };
}

export async function generateRepo(opts: GenerateOptions): Promise<GeneratedTree> {
  if (!Number.isInteger(opts.connectors) || opts.connectors < 1) {
    throw new Error(`connectors must be a positive integer, got ${opts.connectors}`);
  }
  const seed = opts.seed ?? DEFAULT_SEED;
  const catalogDir = opts.catalogDir ?? REAL_CATALOG_DIR;
  const catalog = await loadCatalog(catalogDir);
  const repoRoot = path.join(opts.dir, 'repo');
  const jsonRoot = path.join(opts.dir, 'json');

  for (const root of [repoRoot, jsonRoot]) await mkdir(path.join(root, 'pipeline/catalog'), { recursive: true });
  const commit = opts.git ? await startTreeCommit(repoRoot) : undefined;
  for (const file of (await readdir(catalogDir)).filter((f) => f.endsWith('.yaml'))) {
    await copyFile(path.join(catalogDir, file), path.join(repoRoot, 'pipeline/catalog', file));
    await commit?.add(`pipeline/catalog/${file}`, await readFile(path.join(catalogDir, file)));
    const data: unknown = parse(await readFile(path.join(catalogDir, file), 'utf8'));
    await writeFile(path.join(jsonRoot, 'pipeline/catalog', file.replace(/\.yaml$/, '.json')), JSON.stringify(data));
  }

  const slugs = Array.from({ length: opts.connectors }, (_, i) => syntheticSlug(i));
  const manifest = (i: number) => syntheticManifest(i, seed, catalog);
  await forEachLimited(slugs.length, 64, async (i) => {
    const m = manifest(i);
    const slug = slugs[i] as string;
    await mkdir(path.join(repoRoot, 'connectors', slug), { recursive: true });
    await mkdir(path.join(jsonRoot, 'connectors', slug), { recursive: true });
    const yaml = manifestYaml(m, AUTHORED);
    await writeFile(path.join(repoRoot, 'connectors', slug, 'manifest.yaml'), yaml);
    await commit?.add(`connectors/${slug}/manifest.yaml`, yaml);
    await writeFile(path.join(jsonRoot, 'connectors', slug, 'manifest.json'), JSON.stringify(m));
  });
  await commit?.commit(`${opts.connectors} generated connectors (seed ${seed})`);
  return describeTree(opts.dir, opts.connectors, seed, catalog, opts.git === true);
}

/**
 * The tree generateRepo made in `dir` earlier, with the same options, read back without writing
 * anything: for a bench task in another process that changes its manifests.
 */
export async function openGeneratedRepo(opts: Omit<GenerateOptions, 'catalogDir'>): Promise<GeneratedTree> {
  const catalog = await loadCatalog(path.join(opts.dir, 'repo', 'pipeline/catalog'));
  return describeTree(opts.dir, opts.connectors, opts.seed ?? DEFAULT_SEED, catalog, opts.git === true);
}

function describeTree(dir: string, connectors: number, seed: number, catalog: Catalog, git: boolean): GeneratedTree {
  const slugs = Array.from({ length: connectors }, (_, i) => syntheticSlug(i));
  return {
    repoRoot: path.join(dir, 'repo'),
    jsonRoot: path.join(dir, 'json'),
    seed,
    catalog,
    git,
    slugs,
    manifest: (i) => syntheticManifest(i, seed, catalog),
    manifestFile: (i) => `connectors/${slugs[i]}/manifest.yaml`,
  };
}

/**
 * Changes one manifest the way an author would (a reworded scope description), so a sync sees
 * exactly one changed provider. `revision` makes each call a new change. Returns the new manifest.
 */
export async function changeOneManifest(tree: GeneratedTree, index: number, revision: number): Promise<Manifest> {
  const m = tree.manifest(index);
  const scope = m.scopes[0];
  if (scope) scope.description = `${scope.description} (revision ${revision})`;
  await writeFile(path.join(tree.repoRoot, tree.manifestFile(index)), manifestYaml(m, AUTHORED));
  return m;
}

/** The same change, committed on top of HEAD (the tree must be a git repository). */
export async function commitOneManifest(tree: GeneratedTree, index: number, revision: number, opts: { worktreeLast?: boolean } = {}): Promise<Manifest> {
  if (!tree.git) throw new Error('commitOneManifest: the tree was generated without git');
  const m = tree.manifest(index);
  const scope = m.scopes[0];
  if (scope) scope.description = `${scope.description} (committed revision ${revision})`;
  await commitFile(tree.repoRoot, tree.manifestFile(index), manifestYaml(m, AUTHORED), `bench: change ${tree.slugs[index]} (revision ${revision})`, opts);
  return m;
}

async function forEachLimited(count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
