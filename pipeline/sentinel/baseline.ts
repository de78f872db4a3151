/**
 * The sync baseline (migration 1770696000000_sync-baseline): the committed trees the registry was
 * last synced to exactly, plus the few folders synced from uncommitted work. A sync after which
 * every connector folder git vouches for carries its tree id in HEAD, and pipeline/catalog/ is
 * clean, writes it; any later write to the tables a plan reads deletes it (triggers). A sync whose
 * checkout shows the same tree ids, the same folders git does not vouch for, each holding the
 * bytes synced from it (hashed again: a few folders), a clean pipeline/catalog/, and the same
 * validation fingerprint, would read every folder as unchanged and plan nothing: it says so at once.
 */
import { lstatSync } from 'node:fs';
import path from 'node:path';
import { folderSourceSha256, readConnectorFolderSync } from '../validate/connector-folder.ts';
import type { ValidConnector } from '../validate/types.ts';
import type { Queryable } from '../registry/db.ts';
import { CONNECTORS_DIR, type GitFolders } from './git-folders.ts';

export interface Baseline {
  sync_id: number;
  connectors_tree: string;
  catalog_tree: string;
  fingerprint: string;
  connectors: number;
  /** Folder git did not vouch for -> source sha256 synced from it; null: no connector folder there (deleted, a file, a dot-name). */
  dirty: Record<string, string | null>;
}

/** At most this many folders synced from uncommitted work are remembered; more, and there is no baseline. */
export const MAX_DIRTY = 200;

/** The baseline, or undefined when there is none (or the registry predates it). */
export async function readBaseline(client: Queryable): Promise<Baseline | undefined> {
  if (!(await hasBaselineTable(client))) return undefined;
  const { rows } = await client.query<Baseline>(
    `SELECT sync_id::float8 AS sync_id, connectors_tree, catalog_tree, fingerprint, connectors, dirty FROM registry_sync_baseline`,
  );
  return rows[0];
}

/** The trees, the fingerprint and which folders git does not vouch for are the baseline's. Pure. */
export function matchesBaseline(b: Baseline | undefined, git: GitFolders | undefined, fingerprint: string | undefined): b is Baseline {
  const roots = vouchedRoots(git);
  if (!b || !roots || fingerprint === undefined || b.fingerprint !== fingerprint) return false;
  if (roots.connectors !== b.connectors_tree || roots.catalog !== b.catalog_tree) return false;
  const dirty = Object.keys(b.dirty);
  return dirty.length === git!.dirty.size && dirty.every((f) => git!.dirty.has(f));
}

/**
 * True when each folder git does not vouch for holds what the baseline synced from it: the same
 * source sha256 (the validator's folder hash, over every file), read without refusals; or, where
 * the baseline holds no connector, still no connector folder. Reads only those folders.
 */
export function dirtyFoldersHold(repoRoot: string, b: Baseline): boolean {
  for (const [folder, sha] of Object.entries(b.dirty)) {
    const st = lstatSync(path.join(repoRoot, CONNECTORS_DIR, folder), { throwIfNoEntry: false });
    if (sha === null) {
      // What the validator's scan passes over: a dot-name, nothing, or a plain file.
      if (!(folder.startsWith('.') || !st || st.isFile())) return false;
      continue;
    }
    if (!st?.isDirectory()) return false;
    const read = readConnectorFolderSync(repoRoot, folder);
    if (read.manifest.kind !== 'bytes' || read.problems.length > 0 || folderSourceSha256(read.files) !== sha) return false;
  }
  return true;
}

/** HEAD's tree ids when git answered for every folder and pipeline/catalog/ holds nothing uncommitted, untracked or ignored. */
export function vouchedRoots(git: GitFolders | undefined): { connectors: string; catalog: string } | undefined {
  const r = git?.roots;
  if (!git || !r || git.allDirty || !r.catalogClean || r.connectors === null || r.catalog === null) return undefined;
  return { connectors: r.connectors, catalog: r.catalog };
}

/**
 * Writes the baseline when this sync leaves the registry exactly in line with the checkout as git
 * described it: every connector of a folder git vouches for carries that folder's tree id in HEAD
 * (a folder read while it changed carries none), and there are at most MAX_DIRTY folders git does
 * not vouch for. Last write of the sync's transaction: the triggers deleted the row on the sync's
 * own earlier writes.
 */
export async function writeBaseline(
  client: Queryable,
  args: {
    syncId: number; git: GitFolders | undefined; fingerprint: string | undefined; connectors: ValidConnector[];
    /** Connectors of folders git vouches for, unchanged since the baseline and not in `connectors` (a sync of the changed folders only). */
    carried?: number;
  },
): Promise<boolean> {
  const roots = vouchedRoots(args.git);
  if (!roots || args.fingerprint === undefined || args.git!.dirty.size > MAX_DIRTY) return false;
  if (!(await hasBaselineTable(client))) return false;
  const { trees, dirty: dirtySet } = args.git!;
  const dirty: Record<string, string | null> = {};
  for (const f of dirtySet) dirty[f] = null;
  const carried = args.carried ?? 0;
  let vouched = carried;
  for (const c of args.connectors) {
    if (dirtySet.has(c.slug)) {
      if (!c.source_sha256) return false;
      dirty[c.slug] = c.source_sha256;
    } else {
      if (!c.source_tree || trees.get(c.slug) !== c.source_tree) return false;
      vouched += 1;
    }
  }
  // Every folder of HEAD git vouches for is a connector synced from its tree (none left out).
  let inHead = trees.size;
  for (const f of dirtySet) if (trees.has(f)) inHead -= 1;
  if (inHead !== vouched) return false;
  await client.query(
    `INSERT INTO registry_sync_baseline (one, sync_id, connectors_tree, catalog_tree, fingerprint, connectors, dirty)
     VALUES (true, $1, $2, $3, $4, $5, $6::jsonb)
     ON CONFLICT (one) DO UPDATE SET sync_id = EXCLUDED.sync_id, connectors_tree = EXCLUDED.connectors_tree,
       catalog_tree = EXCLUDED.catalog_tree, fingerprint = EXCLUDED.fingerprint, connectors = EXCLUDED.connectors,
       dirty = EXCLUDED.dirty, created_at = now()`,
    [args.syncId, roots.connectors, roots.catalog, args.fingerprint, args.connectors.length + carried, JSON.stringify(dirty)],
  );
  return true;
}

async function hasBaselineTable(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(`SELECT to_regclass('registry_sync_baseline') IS NOT NULL AS ok`);
  return rows[0]?.ok === true;
}
