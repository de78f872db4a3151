import type { Catalog } from '../schema/manifest.ts';
import type { ManifestResult } from './manifest.ts';
export const POOL_THRESHOLD = 500;
export async function checkFoldersInPool(repoRoot: string, folders: string[], catalog: Catalog): Promise<ManifestResult[]> {
  const { checkFolders } = await import('./repo.ts');
  return checkFolders(repoRoot, folders, catalog);
}
