/**
 * The walk note: what the last full look at connectors/ (git-folders.ts) found, so the next one
 * need not list every folder again. Kept in the git directory of the work tree (per work tree,
 * never committed, never shared), as small JSON:
 *   since      a time (ms, this machine's clock) before that look began, less a second of slack
 *              for coarse file-system clocks; a folder whose ctime and mtime are older has gained
 *              or lost no entry since
 *   index      sha256 of `git ls-files -v -z -- connectors/` then: a file untracked by the index
 *              alone (git rm --cached, a reset) changes no folder, so another index means a full look
 *   untracked  the folders of connectors/ that held untracked or ignored entries then (asked again every time)
 *   layout     what the look read of the index (git-folders.ts IndexLayout: its checksum, the
 *              folders with files git was told not to look at, the folders holding tracked
 *              files, the tracked files directly in connectors/ and the directories below a
 *              folder holding tracked files), so a look
 *              at the same index need not list it again; absent when the index changed meanwhile
 *   listing    what the scan of HEAD's listing of connectors/ found (git-folders.ts ListingScan)
 *              and the tree id listed: a listing of that tree id is the same bytes, not scanned again
 * A note that is missing, unreadable or of another shape is no note: git lists every folder.
 * Writing it may fail (a read-only checkout): then there is simply no note next time.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { IndexLayout, ListingScan } from './git-folders.ts';

export const WALK_MEMO_FILE = 'connector-factory-walk.json';

export interface WalkMemo {
  since: number;
  index: string;
  untracked: string[];
  layout?: IndexLayout;
  listing?: ListingScan & { tree: string };
}

const VERSION = 2;

export async function readWalkMemo(file: string): Promise<WalkMemo | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v.version !== VERSION || typeof v.since !== 'number' || !Number.isFinite(v.since)) return undefined;
    if (typeof v.index !== 'string' || !/^[0-9a-f]{64}$/.test(v.index)) return undefined;
    if (!Array.isArray(v.untracked) || !v.untracked.every((f) => typeof f === 'string' && f !== '' && !f.includes('/'))) return undefined;
    return { since: v.since, index: v.index, untracked: v.untracked as string[], layout: readLayout(v.layout, v.index), listing: readListing(v.listing) };
  } catch {
    return undefined;
  }
}

const names = (v: unknown, nested: boolean): v is string[] =>
  Array.isArray(v) && v.every((f) => typeof f === 'string' && f !== '' && (nested ? f.includes('/') : !f.includes('/')));

/** The note's layout, or undefined when it is absent or not of its shape (then the index is listed). */
function readLayout(v: unknown, index: string): IndexLayout | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const l = v as Record<string, unknown>;
  if (typeof l.checksum !== 'string' || l.index !== index) return undefined;
  if (!names(l.flagged, false) || !names(l.folders, false) || !names(l.files, false) || !names(l.nested, true)) return undefined;
  return { checksum: l.checksum, index, flagged: l.flagged, folders: l.folders, files: l.files, nested: l.nested };
}

const OID = /^([0-9a-f]{40}|[0-9a-f]{64})$/;

/** The note's listing scan, or undefined when it is absent or not of its shape (then the listing is scanned). */
function readListing(v: unknown): (ListingScan & { tree: string }) | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const l = v as Record<string, unknown>;
  if (typeof l.tree !== 'string' || !OID.test(l.tree) || !names(l.others, false) || !Array.isArray(l.odd)) return undefined;
  const odd = l.odd as unknown[];
  if (!odd.every((e) => Array.isArray(e) && e.length === 2 && names([e[0]], false) && typeof e[1] === 'string' && OID.test(e[1]))) return undefined;
  return { tree: l.tree, odd: odd as [string, string][], others: l.others };
}

/** Replaces the note in one rename, so a reader never sees half of one. */
export async function writeWalkMemo(file: string, memo: WalkMemo): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // The layout's full directory list is its folders and nested directories: kept once.
    const l = memo.layout;
    const layout = l && { checksum: l.checksum, index: l.index, flagged: l.flagged, folders: l.folders, files: l.files, nested: l.nested };
    await writeFile(tmp, `${JSON.stringify({ version: VERSION, ...memo, layout })}\n`);
    await rename(tmp, file);
  } catch {
    await rm(tmp, { force: true }).catch(() => undefined);
  }
}
