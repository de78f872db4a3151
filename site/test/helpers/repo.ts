/**
 * A throwaway repository for the real sentinel: the project's catalogues plus connector folders
 * whose manifests a test writes and rewrites, then syncs into the registry.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';
import { runSync } from '../../../pipeline/sentinel/index.ts';
import type { Manifest } from '../../../pipeline/schema/manifest.ts';
import { manifestYaml } from '../../../pipeline/schema/manifest-yaml.ts';

const PROJECT_CATALOG = path.resolve(import.meta.dirname, '../../../pipeline/catalog');

export async function makeRepo(root: string): Promise<string> {
  await mkdir(path.join(root, 'pipeline'), { recursive: true });
  await cp(PROJECT_CATALOG, path.join(root, 'pipeline', 'catalog'), { recursive: true });
  await mkdir(path.join(root, 'connectors'), { recursive: true });
  return root;
}

/** Writes `manifest` (e.g. testManifest's) as connectors/<slug>/manifest.yaml, by the one manifest writer. */
export async function writeManifest(root: string, manifest: Manifest): Promise<void> {
  const dir = path.join(root, 'connectors', manifest.provider_slug);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'manifest.yaml'), manifestYaml(manifest));
}

/** Runs the real sentinel; fails the test with the validation errors if the repo is invalid. */
export async function sync(db: pg.Pool, repoRoot: string): Promise<void> {
  const outcome = await runSync({ db, repoRoot, actor: 'ci-test', commitSha: 'a'.repeat(40) });
  if (!outcome.result) {
    throw new Error(`sync refused the test repo: ${JSON.stringify(outcome.validation.errors, null, 2)}`);
  }
}
