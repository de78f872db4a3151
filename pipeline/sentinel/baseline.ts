/**
 * The sync baseline (migration 1770696000000_sync-baseline): the committed trees the registry was
 * last synced to exactly. A sync that ends with every connector folder clean and synced from its
 * tree id in HEAD, and pipeline/catalog/ clean, writes it; any later write to the tables a plan
 * reads deletes it (triggers). A sync whose checkout shows the same tree ids, nothing uncommitted,
 * untracked or ignored under connectors/ or pipeline/catalog/, and the same validation
 * fingerprint, would read every folder as unchanged and plan nothing: it can say so at once.
 */
import type { ValidConnector } from '../validate/types.ts';
import type { Queryable } from '../registry/db.ts';
import type { GitFolders } from './git-folders.ts';

export interface Baseline {
  sync_id: number;
  connectors_tree: string;
  catalog_tree: string;
  fingerprint: string;
  connectors: number;
}

/** The baseline, or undefined when there is none (or the registry predates it). */
export async function readBaseline(client: Queryable): Promise<Baseline | undefined> {
  if (!(await hasBaselineTable(client))) return undefined;
  const { rows } = await client.query<Baseline>(
    `SELECT sync_id::float8 AS sync_id, connectors_tree, catalog_tree, fingerprint, connectors FROM registry_sync_baseline`,
  );
  return rows[0];
}

/** True when the checkout git describes is the baseline's trees, clean, under the same fingerprint. Pure. */
export function matchesBaseline(b: Baseline | undefined, git: GitFolders | undefined, fingerprint: string | undefined): b is Baseline {
  return (
    b !== undefined && fingerprint !== undefined && b.fingerprint === fingerprint && cleanRoots(git) !== undefined &&
    git!.roots!.connectors === b.connectors_tree && git!.roots!.catalog === b.catalog_tree
  );
}

/** HEAD's tree ids when git vouches for all of connectors/ and pipeline/catalog/ (nothing uncommitted, untracked or ignored). */
function cleanRoots(git: GitFolders | undefined): { connectors: string; catalog: string } | undefined {
  const r = git?.roots;
  if (!git || !r || git.allDirty || git.dirty.size > 0 || !r.catalogClean || r.connectors === null || r.catalog === null) return undefined;
  return { connectors: r.connectors, catalog: r.catalog };
}

/**
 * Writes the baseline when this sync leaves the registry exactly in line with HEAD: git vouched for
 * every folder and the catalogue, and every connector synced carries its folder's tree id in HEAD
 * (a folder read while it changed carries none). Last write of the sync's transaction: the
 * triggers delete the row on the sync's own earlier writes.
 */
export async function writeBaseline(
  client: Queryable, args: { syncId: number; git: GitFolders | undefined; fingerprint: string | undefined; connectors: ValidConnector[] },
): Promise<boolean> {
  const roots = cleanRoots(args.git);
  if (!roots || args.fingerprint === undefined) return false;
  if (!(await hasBaselineTable(client))) return false;
  const trees = args.git!.trees;
  if (trees.size !== args.connectors.length) return false;
  for (const c of args.connectors) if (!c.source_tree || trees.get(c.slug) !== c.source_tree) return false;
  await client.query(
    `INSERT INTO registry_sync_baseline (one, sync_id, connectors_tree, catalog_tree, fingerprint, connectors)
     VALUES (true, $1, $2, $3, $4, $5)
     ON CONFLICT (one) DO UPDATE SET sync_id = EXCLUDED.sync_id, connectors_tree = EXCLUDED.connectors_tree,
       catalog_tree = EXCLUDED.catalog_tree, fingerprint = EXCLUDED.fingerprint, connectors = EXCLUDED.connectors, created_at = now()`,
    [args.syncId, roots.connectors, roots.catalog, args.fingerprint, args.connectors.length],
  );
  return true;
}

async function hasBaselineTable(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(`SELECT to_regclass('registry_sync_baseline') IS NOT NULL AS ok`);
  return rows[0]?.ok === true;
}
