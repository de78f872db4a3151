/**
 * What git knows of the connector folders, so a sync reads only those that changed: per folder,
 * the tree id it has in HEAD, and whether anything under it differs from HEAD in the index or the
 * worktree. A folder that is clean and whose tree id is the one the registry synced holds exactly
 * the bytes the registry synced, without being read (tree ids are content addresses: equal ids,
 * equal files, in any clone, shallow or not, on any branch or a detached HEAD).
 *
 * Four git processes at most, whatever the number of folders:
 *   git rev-parse --show-toplevel --verify -q HEAD^{tree}   the work tree's root, HEAD's tree (none yet: no commit)
 *   git ls-tree -z <tree> -- connectors/                      folder -> mode, type, tree id
 *   git status --porcelain=v1 -z --ignored=matching ...       modified, staged, deleted, untracked, ignored paths
 *                                                             (and whether pipeline/catalog/ holds uncommitted work)
 *   git ls-files -v -z -- connectors/                         files git was told not to look at
 * Ignored files count as changes: the connector digest covers every file of the folder, git-ignored
 * or not (a local dist/ or .env is read, and judged, like any file). So do files marked
 * assume-unchanged or skip-worktree, whose changes `git status` would not report.
 *
 * Finding untracked and ignored files means listing every folder (`--ignored` turns off git's
 * untracked cache): about a second at 100,000 folders. So each full read leaves a note in the git
 * directory (walk-memo.ts): when it looked, a digest of the index's paths, and which folders held
 * untracked or ignored entries. The next read, if the index lists the same paths, asks
 *   git status --porcelain=v1 -z --untracked-files=no ...    modified, staged, deleted tracked files (no folder listed)
 * and looks for new entries itself: a folder gains or loses an entry only by changing its ctime,
 * so only the folders changed since the note (ctime), the new entries of connectors/ and the
 * folders the note named are looked at. Those HEAD holds as plain folders with their index entries
 * HEAD's are compared with HEAD's trees here (head-compare.ts: no git command reads the index,
 * which `git status` does even for one folder); the rest are asked with --ignored, by name.
 * Anything else (no note, other paths in the index, too many folders changed): the full
 * `git status --ignored` above.
 *
 * The note also keeps what the listing of the index said (IndexLayout) and the checksum git ends
 * the index file with. When the index is byte for byte that one and connectors/ has the same
 * entries, the index is not listed again (4.6 MB of paths at 100,000 folders). With a note,
 * pipeline/catalog/ is compared with HEAD's listing of it here instead of by a second `git status`
 * (which reads the whole index again). What is left of a sync that changed nothing is git stat-ing every tracked
 * file and this process every folder: no file-system monitor, no shortcut past that.
 *
 * Not a git checkout (no .git, no git, repoRoot not the root of a work tree): undefined, quietly,
 * and the sync hashes files as before. git failing or printing anything unexpected: undefined
 * with one log line. Never a guess: a folder is only ever "clean" on git's explicit word, or
 * with its files hashed to HEAD's blob ids.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { describeGitFailure, expectOk, GitUnexpected, LS_TREE, runGit, type GitRunResult, type RunGit } from './git-run.ts';
import { compareWithHead, type Compared } from './head-compare.ts';
import { readWalkMemo, writeWalkMemo, WALK_MEMO_FILE, type WalkMemo } from './walk-memo.ts';

export { expectOk, GitUnexpected, LS_TREE, runGit, type GitRunResult, type RunGit };

export const CONNECTORS_DIR = 'connectors';

export interface GitFolders {
  /** Folder name under connectors/ -> its tree id in HEAD, for entries that are plain folders there (mode 040000). */
  trees: ReadonlyMap<string, string>;
  /**
   * Folders git reports anything under (modified, staged, deleted, renamed, untracked, ignored,
   * unmerged, assume-unchanged, skip-worktree), and HEAD entries that are not plain folders (a
   * symbolic link, a file, a submodule): read in full, never taken from the registry.
   */
  dirty: Set<string>;
  /** git named connectors/ itself (untracked or ignored as a whole, as in a repository with no commit): every folder is dirty. */
  allDirty?: true;
  /**
   * Whether connectors/ or pipeline/catalog/ hold uncommitted work: a modified, staged, deleted or
   * untracked file (ignored files do not count), for the sync's record (registry_syncs.worktree_dirty).
   * Only meaningful when every folder was asked (no `folders` option).
   */
  uncommitted: boolean;
  /**
   * HEAD's tree ids of connectors/ and pipeline/catalog/ (null: no such tree in HEAD, or no commit),
   * and whether git reports anything at all under pipeline/catalog/ (ignored files included).
   * Only set when every folder was asked.
   */
  roots?: { connectors: string | null; catalog: string | null; catalogClean: boolean };
  /** A look at named folders: those of them holding files git was told not to look at (counted in `dirty` too). */
  flagged?: Set<string>;
  /**
   * The dirty folders whose index entries may differ from HEAD's: a staged change, an unmerged
   * file, a file git was told not to look at, or a HEAD entry that is not a plain folder. Every
   * other folder's index entries are HEAD's, so its worktree can be compared with HEAD's blobs
   * without the index (git-since.ts). Set by readGitFolders.
   */
  staged?: Set<string>;
  /**
   * HEAD, the index and the roots as they were for the whole of a look at every folder (unset when
   * one moved while git was asked): a re-check that finds them unmoved may compare a few folders'
   * files with HEAD's blobs (recheckFolders) instead of asking git, whose `git status` reads the
   * whole index even for one folder.
   */
  mark?: Mark;
}

/** What else a sync reads from the repository, asked about in the same `git status`: uncommitted work there counts too. */
export const CATALOG_DIR = 'pipeline/catalog';

export interface ReadGitOptions {
  /** Only these folders (a re-check of a few): default every folder under connectors/. */
  folders?: readonly string[];
  log?: (line: string) => void;
  /** Tests: a stand-in for the git executable. */
  run?: RunGit;
  /** false: neither read nor write the walk note (walk-memo.ts); every folder is listed by git. */
  memo?: boolean;
  /**
   * With `folders`: pipeline/catalog/ is asked about too, and `roots` set (what a look at every
   * folder says of it), for a caller that knows every other folder is as it was (git-since.ts).
   */
  catalog?: boolean;
  /**
   * With `folders`: which of them hold files git was told not to look at, known from an earlier
   * look at the same index (git-since.ts); the index is then not listed for them.
   */
  flagged?: ReadonlySet<string>;
  /**
   * Called once, when every git process of a look at every folder has started: what the caller
   * starts there runs while this thread would wait for git's listings (a sync's own reads). Given
   * HEAD's tree ids of connectors/ and pipeline/catalog/ as they arrive (before the look ends).
   */
  whileGitWorks?: (roots: Promise<Roots>) => void;
}

/** At most this many folders are named as pathspecs; more, and all of connectors/ is asked. */
export const MAX_PATHSPECS = 200;

/**
 * What git knows of connectors/ in `repoRoot`, or undefined when the sync must hash files instead
 * (see the module comment). Read-only: never writes the index.
 */
export async function readGitFolders(repoRoot: string, opts: ReadGitOptions = {}): Promise<GitFolders | undefined> {
  const run = opts.run ?? runGit;
  try {
    const head = await readHead(repoRoot, run);
    if (!head) return undefined;
    const named = opts.folders !== undefined && opts.folders.length <= MAX_PATHSPECS ? opts.folders : undefined;
    if (!named) return await readAll(repoRoot, head, run, opts);
    if (named.length === 0 && !opts.catalog) return { trees: new Map(), dirty: new Set(), uncommitted: false, staged: new Set() };
    // `connectors/x` names the entry x (folder or not) and everything under it.
    const specs = named.map((f) => `${CONNECTORS_DIR}/${f}`);
    const none = Promise.resolve(Buffer.alloc(0));
    const [listing, status, flags, roots] = await Promise.all([
      // No commit yet: HEAD holds no folder, so every folder is new.
      head.tree && specs.length > 0 ? expectOk(run, ['ls-tree', '-z', head.tree, '--', ...specs], repoRoot) : none,
      expectOk(run, [...STATUS_IGNORED, '--', ...specs, ...(opts.catalog ? [`${CATALOG_DIR}/`] : [])], repoRoot),
      specs.length > 0 && !opts.flagged ? expectOk(run, ['ls-files', '-v', '-z', '--', ...specs], repoRoot) : none,
      head.tree && opts.catalog ? expectOk(run, ['ls-tree', '-z', head.tree, '--', CONNECTORS_DIR, CATALOG_DIR], repoRoot) : none,
    ]);
    const folders: GitFolders = { trees: new Map(), dirty: new Set(), uncommitted: false, staged: new Set() };
    const catalog = { entries: 0 };
    parseLsTree(listing, folders);
    parseStatus(status, folders, catalog);
    const flagged: GitFolders = { trees: new Map(), dirty: new Set(), uncommitted: false };
    parseLsFilesFlags(flags, flagged);
    folders.flagged = opts.flagged ? new Set(named.filter((f) => opts.flagged!.has(f))) : flagged.dirty;
    for (const f of folders.flagged) {
      folders.dirty.add(f);
      folders.staged!.add(f);
    }
    if (opts.catalog) folders.roots = { ...parseRoots(roots), catalogClean: catalog.entries === 0 };
    return folders;
  } catch (err) {
    return failed(err, opts);
  }
}

function failed(err: unknown, opts: ReadGitOptions): undefined {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT' && e.syscall?.startsWith('spawn')) return undefined; // git is not installed
  const why = err instanceof GitUnexpected ? err.message : `git could not be run (${(err as Error).message.split('\n')[0]})`;
  opts.log?.(`sync: ${why}; reading and hashing every connector folder instead of asking git which changed`);
  return undefined;
}

/** Slack for coarse file-system clocks: a change this long before a walk began still counts as after it. */
const CLOCK_SLACK_MS = 1000;

/** Every folder asked: by the note of the last full read when it still holds, else by the full `git status --ignored`. */
async function readAll(repoRoot: string, head: Head, run: RunGit, opts: ReadGitOptions): Promise<GitFolders> {
  const startedAt = Date.now();
  const specs = [`${CONNECTORS_DIR}/`];
  const memoFile = path.resolve(repoRoot, head.gitPath);
  const memo = opts.memo === false ? undefined : await readWalkMemo(memoFile);
  const indexFile = path.resolve(repoRoot, head.indexPath);
  const checksum = await indexChecksum(indexFile);
  const rootsAtStart = rootsMark(repoRoot);
  const root = `${path.join(repoRoot, CONNECTORS_DIR)}${path.sep}`;
  // The index's bytes are the ones the note listed (git ends the index with a checksum of them),
  // and connectors/ gained or lost no entry since: the note's listing of the index still holds,
  // so git need not print it again (4.6 MB at 100,000 folders).
  const same = memo?.layout !== undefined && checksum !== undefined && memo.layout.checksum === checksum && !changed(lstatSync(root, NO_THROW), memo.since)
    ? memo.layout : undefined;
  // Each walk is two: git status (what is dirty) and ls-files --others --directory (every
  // untracked entry, ignored or not, empty directories included: git status never names an empty
  // directory, and a file put in one later changes no directory the note looks at).
  const walk = (paths: string[], catalog = true) =>
    Promise.all([
      paths.length === 0 && !catalog ? Buffer.alloc(0) : expectOk(run, [...STATUS_IGNORED, '--', ...paths, ...(catalog ? [`${CATALOG_DIR}/`] : [])], repoRoot),
      // No folder to ask (the catalogue is git status's alone): no ls-files, which would walk the whole work tree.
      paths.length === 0 ? Buffer.alloc(0) : expectOk(run, ['ls-files', '-z', '--others', '--directory', '--', ...paths], repoRoot),
    ]);
  const statusFull = () => walk(specs);
  // Every git at once: with a note, the tracked files are compared (every file stat'ed, no folder
  // listed) while the index is read and the folders are looked at here; without one, the full walk.
  const tracked = memo ? expectOk(run, ['status', '--porcelain=v1', '-z', '--untracked-files=no', '--no-renames', '--', ...specs, `${CATALOG_DIR}/`], repoRoot) : undefined;
  const full = memo ? undefined : statusFull();
  // With a note, pipeline/catalog/'s untracked and ignored files are found here, by listing it
  // against HEAD's (a second git status would read the whole index again); its tracked files are
  // in the tracked status above.
  const catalogHead = memo && head.tree ? expectOk(run, ['ls-tree', '-r', '-z', '--name-only', head.tree, '--', `${CATALOG_DIR}/`], repoRoot) : undefined;
  // Not awaited yet: a rejection is handled where each is awaited (never left unhandled).
  for (const p of [tracked, full, catalogHead]) p?.catch(() => undefined);
  // The two roots' tree ids come first (a listing of two entries): the caller gets them while
  // this thread still waits for the long listings, not after it has looked at every folder.
  const rootsOfHead = (head.tree ? expectOk(run, ['ls-tree', '-z', head.tree, '--', CONNECTORS_DIR, CATALOG_DIR], repoRoot) : Promise.resolve(Buffer.alloc(0))).then(parseRoots);
  const listings = Promise.all([
    head.tree ? expectOk(run, ['ls-tree', '-z', head.tree, '--', ...specs], repoRoot) : Promise.resolve(Buffer.alloc(0)),
    rootsOfHead,
    same ? undefined : expectOk(run, ['ls-files', '-v', '-z', '--', ...specs], repoRoot),
  ]);
  rootsOfHead.catch(() => undefined); // a failure is the look's, awaited below
  opts.whileGitWorks?.(rootsOfHead);
  const [listing, headRoots, flags] = await listings;
  const folders: GitFolders = { trees: new Map(), dirty: new Set(), uncommitted: false, staged: new Set() };
  let layout: IndexLayout;
  if (same) {
    layout = same;
    for (const f of layout.flagged) {
      folders.dirty.add(f);
      folders.staged!.add(f);
    }
  } else {
    layout = indexLayout(flags!, checksum);
    parseLsFilesFlags(flags!, folders);
  }
  const catalog = { entries: 0 };

  // A listing of the tree id the note's scan was of is the same bytes: not checked again.
  const known = memo?.listing && memo.listing.tree === headRoots.connectors ? memo.listing : undefined;
  const scan = parseLsTree(listing, folders, known);

  let walked: WalkSeen | undefined;
  // Whether nothing changed since the note's look but the folders it named (asked again anyway),
  // and they hold what it says: then its time is still true, and it need not be written again.
  let noteHolds = false;
  if (memo && tracked && memo.index === layout.index) {
    const suspects = same ? changedSinceByNote(root, same, memo) : changedSince(root, layout, memo);
    parseStatus(await tracked, folders, catalog);
    if (suspects !== undefined && suspects.length <= MAX_PATHSPECS) {
      // A folder HEAD holds as a plain folder, whose index entries are HEAD's (no staged change, no
      // flagged file), is compared with HEAD's tree here (head-compare.ts): git status reads the
      // whole index even for one folder (75-125 ms at 100,000). The rest, and what the comparison
      // cannot word, git is asked about by name.
      const inHead = head.tree ? suspects.filter((f) => !folders.staged!.has(f) && folders.trees.get(f) !== undefined) : [];
      const holding = new Set<string>();
      const compared = inHead.length === 0 ? new Map<string, Compared>()
        : await compareWithHead(repoRoot, head.tree!, new Map(inHead.map((f) => [`${CONNECTORS_DIR}/${f}`, folders.trees.get(f)!])), run, holding);
      const named = suspects.map((f) => `${CONNECTORS_DIR}/${f}`).filter((dir) => (compared.get(dir) ?? 'ask') === 'ask');
      const [status, others] = await walk(named, !catalogHead);
      walked = parseStatus(status, folders, catalog);
      noteOthers(others, walked);
      for (const [dir, c] of compared) {
        if (c === 'clean' || c === 'ask') continue;
        folders.dirty.add(dir.slice(CONNECTORS_DIR.length + 1));
        if (c.uncommitted) folders.uncommitted = true;
      }
      for (const dir of holding) walked.untracked.add(dir.slice(CONNECTORS_DIR.length + 1));
      if (catalogHead) catalog.entries += untrackedUnder(repoRoot, CATALOG_DIR, await catalogHead);
      const before = new Set(memo.untracked);
      noteHolds = suspects.every((f) => before.has(f)) && walked.untracked.size === before.size && [...walked.untracked].every((f) => before.has(f));
    }
  }
  if (!walked) {
    await tracked; // a failure of git is a failure, whichever status said it
    await catalogHead;
    const [status, others] = await (full ?? statusFull());
    walked = parseStatus(status, folders, catalog);
    noteOthers(others, walked);
  }
  folders.roots = { ...headRoots, catalogClean: catalog.entries === 0 };
  const still = checksum !== undefined && (await indexChecksum(indexFile)) === checksum;
  if (still && head.tree && rootsMark(repoRoot) === rootsAtStart) folders.mark = { head: head.tree, index: checksum, roots: rootsAtStart };
  // No note while connectors/ is untracked as a whole (then every folder is read anyway). The
  // index's checksum is kept only when the index did not change while it was listed.
  if (opts.memo !== false && !folders.allDirty) {
    // The note says all this look found (its listings were the note's own): kept as it is, not rewritten (2 MB at 100,000).
    if (noteHolds && still && layout === memo?.layout && known !== undefined) return folders;
    await writeWalkMemo(memoFile, {
      since: startedAt - CLOCK_SLACK_MS, index: layout.index, untracked: [...walked.untracked].sort(), layout: still ? layout : undefined,
      listing: headRoots.connectors ? { tree: headRoots.connectors, ...scan } : undefined,
    });
  }
  return folders;
}

/**
 * The checksum git ends its index file with (SHA-1 or SHA-256 of every byte before it, hex), or
 * undefined when there is no index or no checksum (index.skipHash writes zeros): then the index
 * is listed. Equal checksums, equal index: the same paths, the same flags.
 */
export async function indexChecksum(file: string): Promise<string | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    // "DIRC", version, entry count: an index has at least its header and a checksum.
    if (size < 12 + 20) return undefined;
    const head = Buffer.alloc(4);
    await handle.read(head, 0, 4, 0);
    if (head.toString('latin1') !== 'DIRC') return undefined;
    // The hash length is the repository's (SHA-1: 20 bytes, SHA-256: 32); both are read, the longer wins only if it is what git wrote.
    const tail = Buffer.alloc(32);
    const n = Math.min(32, size - 12);
    await handle.read(tail, 0, n, size - n);
    const hex = tail.subarray(0, n).toString('hex');
    if (/^0+$/.test(hex.slice(-40))) return undefined; // index.skipHash
    return `${size}:${hex}`;
  } catch {
    return undefined;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * What the note keeps of the index's paths under connectors/, so that a sync whose index is
 * byte for byte the one listed then need not list it again: the index's checksum, the folders
 * holding files marked assume-unchanged or skip-worktree, the tracked entries directly in
 * connectors/ that are not folders, and the directories below a folder that hold tracked files
 * (relative to connectors/; the folders themselves are every other entry of connectors/).
 */
export interface IndexLayout {
  checksum?: string;
  /** sha256 of `git ls-files -v -z -- connectors/`. */
  index: string;
  flagged: string[];
  /** The folders (entries of connectors/) holding tracked files. */
  folders: string[];
  files: string[];
  nested: string[];
  /** Every directory holding tracked files, and its parents up to connectors/<folder>; not kept in the note (the entries of connectors/ say it). */
  dirs?: string[];
}

/** The layout of `git ls-files -v -z -- connectors/` (see IndexLayout). The index is sorted, so a folder's files come together. */
function indexLayout(flags: Buffer, checksum: string | undefined): IndexLayout {
  const flagged = new Set<string>();
  const dirs: string[] = [];
  const seen = new Set<string>();
  const files: string[] = []; // tracked entries directly in connectors/ (files, links, submodules): git status sees them
  const text = flags.toString('utf8');
  const skip = 2 + CONNECTORS_DIR.length + 1; // "H connectors/"
  let last = '';
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\0', start);
    const tag = text.charCodeAt(start);
    const from = start + skip;
    start = end + 1;
    const first = text.indexOf('/', from);
    if ((tag >= 0x61 && tag <= 0x7a) || tag === 0x53) flagged.add(text.slice(from, first < 0 || first > end ? end : first));
    if (first < 0 || first > end) {
      files.push(text.slice(from, end));
      continue;
    }
    const lastSlash = text.lastIndexOf('/', end);
    if (lastSlash - from === last.length && text.startsWith(last, from)) continue; // same directory as the file before
    last = text.slice(from, lastSlash);
    for (let dir = last; ; ) {
      if (seen.has(dir)) break;
      seen.add(dir);
      dirs.push(dir);
      const up = dir.lastIndexOf('/');
      if (up < 0) break;
      dir = dir.slice(0, up);
    }
  }
  return {
    checksum,
    index: createHash('sha256').update(flags).digest('hex'),
    flagged: [...flagged].sort(),
    folders: dirs.filter((d) => !d.includes('/')),
    files,
    nested: dirs.filter((d) => d.includes('/')),
    dirs,
  };
}

/** Changed since `since` (ms): gone, not a directory, or a ctime or mtime not older. */
const changed = (st: Stats | undefined, since: number) => !st || !st.isDirectory() || st.ctimeMs >= since || st.mtimeMs >= since;

/** `git ls-files -z --others --directory`: the folders holding untracked entries, for the note. */
function noteOthers(buf: Buffer, into: WalkSeen): void {
  for (const rec of records(buf)) {
    if (rec === `${CONNECTORS_DIR}/`) continue; // connectors/ untracked as a whole: git status said so (allDirty)
    into.untracked.add(folderOf(rec, 'ls-files'));
  }
}

const STATUS_IGNORED = ['status', '--porcelain=v1', '-z', '--untracked-files=normal', '--ignored=matching', '--no-renames'];

/**
 * The folders of connectors/ that may hold untracked or ignored entries the note does not know
 * of: those the note named, every entry of connectors/ the index has no path under (looked for
 * only when connectors/ itself changed since the note), and every folder with a directory (itself
 * or one below it that holds tracked files) whose ctime or mtime is not older than the note.
 * Undefined when connectors/ cannot be listed (the full walk decides).
 */
function changedSince(root: string, layout: IndexLayout, memo: WalkMemo): string[] | undefined {
  const out = new Set<string>(memo.untracked);
  const dirs = layout.dirs ?? [];
  const top = lstatSync(root, NO_THROW);
  if (!top) return [...out]; // connectors/ is gone: git status reports the deletions
  if (changed(top, memo.since)) {
    // connectors/ gained or lost an entry since the note: the entries the index has no path under are new.
    let entries: string[];
    try {
      entries = readdirSync(root);
    } catch {
      return undefined;
    }
    const tracked = new Set(layout.files);
    for (const dir of dirs) if (!dir.includes('/')) tracked.add(dir);
    for (const name of entries) if (!tracked.has(name)) out.add(name);
  }
  return lookAt(root, dirs, out, memo.since);
}

/**
 * changedSince, when the index is the one the note listed and connectors/ has the same entries
 * as then: its folders holding tracked files are the note's, and so are the directories below them.
 */
function changedSinceByNote(root: string, layout: IndexLayout, memo: WalkMemo): string[] {
  return lookAt(root, [...layout.folders, ...layout.nested], new Set(memo.untracked), memo.since);
}

/** Adds to `out` the folder of every directory of `dirs` (relative to `root`) changed since `since`. */
function lookAt(root: string, dirs: string[], out: Set<string>, since: number): string[] {
  for (const dir of dirs) {
    const slash = dir.indexOf('/');
    const folder = slash < 0 ? dir : dir.slice(0, slash);
    if (out.has(folder)) continue;
    // Gone, or no longer a directory: git status reports it; ask with --ignored all the same.
    if (changed(lstatSync(root + dir, NO_THROW), since)) out.add(folder);
  }
  return [...out].sort();
}

/**
 * How many files under `dir` (relative to repoRoot) are not in HEAD's listing of it
 * (`git ls-tree -r -z --name-only`): untracked or ignored files, or added ones. Symbolic links are
 * not followed. A directory that cannot be read counts as one.
 */
function untrackedUnder(repoRoot: string, dir: string, headListing: Buffer): number {
  const inHead = new Set(records(headListing));
  let extra = 0;
  const visit = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(repoRoot, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') extra += 1;
      return;
    }
    for (const e of entries) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) visit(p);
      else if (!inHead.has(p)) extra += 1;
    }
  };
  visit(dir);
  return extra;
}

const NO_THROW = { throwIfNoEntry: false } as const;

/** HEAD's tree ids of connectors/ and pipeline/catalog/ (null: no such tree). */
export interface Roots {
  connectors: string | null;
  catalog: string | null;
}

/** `git ls-tree -z <tree> -- connectors pipeline/catalog`: the two tree ids (null when absent or not a folder). */
export function parseRoots(buf: Buffer): Roots {
  const out: Roots = { connectors: null, catalog: null };
  for (const rec of records(buf)) {
    const m = LS_TREE.exec(rec);
    if (!m) throw new GitUnexpected(`git ls-tree printed an entry it should not: ${JSON.stringify(rec.slice(0, 200))}`);
    if (m[1] !== '040000' || m[2] !== 'tree') continue;
    if (m[4] === CONNECTORS_DIR) out.connectors = m[3]!;
    else if (m[4] === CATALOG_DIR) out.catalog = m[3]!;
  }
  return out;
}

export interface Head {
  /** HEAD's tree id; null: no commit yet. */
  tree: string | null;
  /** Where the walk note lives (relative to repoRoot, or absolute): in the git directory of this work tree. */
  gitPath: string;
  /** The index file (relative to repoRoot, or absolute; GIT_INDEX_FILE honoured). */
  indexPath: string;
}

/** HEAD's tree id and the walk note's path, or undefined when repoRoot is not the root of a git work tree. */
export async function readHead(repoRoot: string, run: RunGit): Promise<Head | undefined> {
  const r = await run(['rev-parse', '--show-toplevel', '--git-path', WALK_MEMO_FILE, '--git-path', 'index', '--verify', '-q', 'HEAD^{tree}'], repoRoot);
  // Not a git repository: outside git, quietly. Any other refusal (a repository git will not
  // open, a corrupt HEAD) is said, by the caller's one log line.
  if (r.code === 128 && /not a git repository/i.test(r.stderr)) return undefined;
  if (r.stderr.trim() !== '' || (r.code !== 0 && r.code !== 1)) throw new GitUnexpected(`git rev-parse failed (${describeGitFailure(r)})`);
  const [top, gitPath, indexPath, tree, ...rest] = r.stdout.toString('utf8').split('\n');
  // Exit 1 and no tree id: HEAD names no commit yet. Exit 0: HEAD's tree id.
  const shape = r.code === 1 ? tree === '' && rest.length === 0 : tree !== undefined && OID.test(tree) && rest.length === 1 && rest[0] === '';
  if (!top || !path.isAbsolute(top) || !gitPath || !indexPath || !shape) throw new GitUnexpected(`git rev-parse printed something unexpected (${describeGitFailure(r)})`);
  let same: boolean;
  try {
    const [a, b] = await Promise.all([realpath(top), realpath(repoRoot)]);
    same = a === b;
  } catch (err) {
    throw new GitUnexpected(`git rev-parse named a work tree that cannot be resolved (${(err as Error).message})`);
  }
  if (!same) return undefined; // repoRoot is a folder inside another repository's work tree
  return { tree: r.code === 1 ? null : tree!, gitPath, indexPath };
}

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

/**
 * What must not move between a look and a re-check that trusts it, besides the folders re-checked:
 * HEAD's tree id, the index's checksum (the same paths, flags and stat data), and the inodes of
 * connectors/ and pipeline/catalog/ (a watcher's watches follow the directories they were set on).
 */
export interface Mark {
  head: string;
  index: string;
  roots: string;
}

/** The mark now; undefined with no commit, no index, or an index without a checksum. */
export async function readMark(root: string, run: RunGit): Promise<Mark | undefined> {
  const head = await readHead(root, run);
  if (!head?.tree) return undefined;
  const index = await indexChecksum(path.resolve(root, head.indexPath));
  return index ? { head: head.tree, index, roots: rootsMark(root) } : undefined;
}

const rootsMark = (root: string) => {
  const ino = (dir: string) => lstatSync(path.join(root, dir), { throwIfNoEntry: false, bigint: true })?.ino ?? 'none';
  return `${ino(CONNECTORS_DIR)}:${ino(CATALOG_DIR)}`;
};

const sameMark = (a: Mark, b: Mark) => a.head === b.head && a.index === b.index && a.roots === b.roots;

/**
 * What git says now of `folders`, which `look` (a look at every folder, the CLI's or a watcher's)
 * found clean, as readGitFolders with `folders` says it: their files compared with HEAD's blobs
 * when the look has a mark, it still holds and none has a staged change (recheckAtMark), else git
 * asked by name.
 */
export async function recheckFolders(
  repoRoot: string, look: Partial<Pick<GitFolders, 'trees' | 'staged' | 'mark'>>, folders: readonly string[], opts: Pick<ReadGitOptions, 'log' | 'run'> = {},
): Promise<GitFolders | undefined> {
  const run = opts.run ?? runGit;
  const quick = look.mark && look.trees && folders.length <= MAX_PATHSPECS && folders.every((f) => !look.staged?.has(f))
    ? await recheckAtMark(repoRoot, look.mark, look.trees, folders, run).catch(() => undefined) : undefined;
  return quick ?? readGitFolders(repoRoot, { folders, log: opts.log, run });
}

/**
 * A re-check of folders whose index entries are HEAD's, at a look's mark: their files compared
 * with HEAD's blobs (head-compare.ts), then the mark read again. Undefined when the mark moved or
 * the comparison cannot word a folder: git must say.
 */
async function recheckAtMark(
  root: string, mark: Mark, trees: ReadonlyMap<string, string>, folders: readonly string[], run: RunGit,
): Promise<GitFolders | undefined> {
  const dirs = new Map(folders.map((f) => [`${CONNECTORS_DIR}/${f}`, trees.get(f) ?? null]));
  const compared = await compareWithHead(root, mark.head, dirs, run);
  const after = await readMark(root, run);
  if (!after || !sameMark(after, mark)) return undefined;
  const out: GitFolders = { trees: new Map(), dirty: new Set(), uncommitted: false };
  for (const [dir, c] of compared) {
    if (c === 'ask') return undefined;
    if (c === 'clean') continue;
    out.dirty.add(dir.slice(CONNECTORS_DIR.length + 1));
    if (c.uncommitted) out.uncommitted = true;
  }
  Object.defineProperty(out, 'trees', { enumerable: true, get: () => trees });
  return out;
}

/** Entries split on NUL; a trailing NUL ends the last one. */
function records(buf: Buffer): string[] {
  if (buf.length === 0) return [];
  const text = buf.toString('utf8');
  if (!text.endsWith('\0')) throw new GitUnexpected('git printed output that does not end in a NUL');
  return text.slice(0, -1).split('\0');
}

/** The folder a repository path is in: `connectors/<folder>[/...]`; `cmd` names the git command that printed it. */
export function folderOf(file: string, cmd: string): string {
  const shown = JSON.stringify(file.slice(0, 200));
  if (!file.startsWith(`${CONNECTORS_DIR}/`)) throw new GitUnexpected(`git ${cmd} printed a path outside ${CONNECTORS_DIR}/: ${shown}`);
  const rest = file.slice(CONNECTORS_DIR.length + 1);
  const slash = rest.indexOf('/');
  const folder = slash < 0 ? rest : rest.slice(0, slash);
  if (folder === '') throw new GitUnexpected(`git ${cmd} printed ${shown}, which is no folder of ${CONNECTORS_DIR}/`);
  return folder;
}

const LS_TREE_PLAIN = Buffer.from('040000 tree ');
const LS_TREE_FOLDER = Buffer.from(`${CONNECTORS_DIR}/`);

/**
 * What the scan of a listing of connectors/ found besides plain folders: the folder entries only
 * the full pattern read (`odd`: name, tree id) and the entries that are no folder (`others`). Kept
 * in the walk note with the tree id listed: a listing of the same tree id is the same bytes.
 */
export interface ListingScan {
  odd: [string, string][];
  others: string[];
}

/**
 * `git ls-tree -z`: `<mode> <type> <oid>\t<path>` per entry. A plain folder gets its tree id;
 * anything else in its place is dirty. Every entry is checked here, unless `known` says what an
 * earlier scan of the same tree found; and no string is made for a plain folder: `trees` answers
 * from git's output (ListedTrees), so a sync that finds the checkout at its baseline reads none of
 * it, and one that wrote a few folders looks up only theirs (100,000 entries cost 80-280 ms to put
 * in a map here, and 45-85 ms to check).
 */
export function parseLsTree(buf: Buffer, into: GitFolders, known?: ListingScan): ListingScan {
  if (buf.length === 0) return { odd: [], others: [] };
  if (buf[buf.length - 1] !== 0) throw new GitUnexpected('git ls-tree printed output that does not end in a NUL');
  const scanned = known ? undefined : scanListing(buf);
  const scan = known ?? scanned!;
  for (const folder of scan.others) {
    into.dirty.add(folder);
    into.staged?.add(folder);
  }
  into.trees = new ListedTrees(buf, scanned?.plain, new Map(scan.odd), scan.odd.length + scan.others.length > 0);
  return { odd: scan.odd, others: scan.others };
}

function scanListing(buf: Buffer): ListingScan & { plain: number[] } {
  const out = { plain: [] as number[], odd: [] as [string, string][], others: [] as string[] };
  for (let start = 0; start < buf.length; ) {
    // Nearly every entry is a folder: read it by position (a regex per entry cost 200 ms at 30,000).
    let end = plainFolderEnd(buf, start);
    if (end > 0) out.plain.push(start);
    else {
      end = buf.indexOf(0, start);
      const rec = buf.subarray(start, end).toString('utf8');
      const m = LS_TREE.exec(rec);
      if (!m) throw new GitUnexpected(`git ls-tree printed an entry it should not: ${JSON.stringify(rec.slice(0, 200))}`);
      const folder = folderOf(m[4]!, 'ls-tree');
      if (m[4] !== `${CONNECTORS_DIR}/${folder}`) throw new GitUnexpected(`git ls-tree printed ${JSON.stringify(m[4]!.slice(0, 200))}, not a folder of ${CONNECTORS_DIR}/`);
      // 120000: a symbolic link in place of the folder; 100644/100755: a file; 160000: a submodule.
      if (m[1] === '040000' && m[2] === 'tree') out.odd.push([folder, m[3]!]);
      else out.others.push(folder);
    }
    start = end + 1;
  }
  return out;
}

/**
 * Where the plain folders' entries of a listing scanned before start: every entry when the scan
 * found nothing else (`mixed` false), without checking them again; else each entry is checked.
 */
function plainEntries(buf: Buffer, mixed: boolean): number[] {
  const plain: number[] = [];
  for (let start = 0; start < buf.length; ) {
    if (!mixed || plainFolderEnd(buf, start) > 0) plain.push(start);
    start = buf.indexOf(0, start) + 1;
  }
  return plain;
}

/** A binary search costs a few microseconds; this many, and a map of every entry is cheaper. */
const LOOKUPS_BEFORE_MAP = 1000;

/**
 * HEAD's tree ids of the folders of connectors/, answered from `git ls-tree`'s output: a folder is
 * found by binary search among the plain folders' entries (git keeps a tree's entries sorted by
 * name, a folder's name compared as if it ended in "/"), the few other folder entries by a map.
 * A caller looking up many folders (a sync that read them all) gets a map made once, after
 * LOOKUPS_BEFORE_MAP searches. Iterating makes the strings as it goes. Read-only; a caller that
 * changes ids copies it to a Map.
 */
class ListedTrees implements ReadonlyMap<string, string> {
  readonly #buf: Buffer;
  /** Undefined until first needed, for a listing whose scan was known (plainEntries). */
  #plainAt: number[] | undefined;
  readonly #odd: ReadonlyMap<string, string>;
  /** Whether the listing holds entries other than plain folders (plainEntries checks each entry then). */
  readonly #mixed: boolean;
  #searches = 0;
  #map: Map<string, string> | undefined;
  /** The plain entries' names start this far after their tab: `connectors/`. */
  static readonly #NAME = 1 + LS_TREE_FOLDER.length;

  constructor(buf: Buffer, plain: number[] | undefined, odd: ReadonlyMap<string, string>, mixed: boolean) {
    this.#buf = buf;
    this.#plainAt = plain;
    this.#odd = odd;
    this.#mixed = mixed;
  }

  get #plain(): readonly number[] {
    return (this.#plainAt ??= plainEntries(this.#buf, this.#mixed));
  }

  get size(): number {
    return this.#plain.length + this.#odd.size;
  }

  get(folder: string): string | undefined {
    if (this.#map) return this.#map.get(folder);
    if (++this.#searches > LOOKUPS_BEFORE_MAP) return (this.#map = new Map(this.entries())).get(folder);
    const odd = this.#odd.get(folder);
    if (odd !== undefined) return odd;
    if (folder.includes('/') || folder.includes('\0')) return undefined;
    const want = Buffer.from(`${folder}/`, 'utf8');
    let lo = 0;
    let hi = this.#plain.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const start = this.#plain[mid]!;
      const tab = this.#tab(start);
      const c = compareAsFolder(this.#buf, tab + ListedTrees.#NAME, this.#buf.indexOf(0, tab), want);
      if (c === 0) return this.#buf.toString('latin1', start + LS_TREE_PLAIN.length, tab);
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  has(folder: string): boolean {
    return this.get(folder) !== undefined;
  }

  *entries(): MapIterator<[string, string]> {
    if (this.#map) return yield* this.#map;
    const buf = this.#buf;
    for (const start of this.#plain) {
      const tab = this.#tab(start);
      yield [buf.toString('utf8', tab + ListedTrees.#NAME, buf.indexOf(0, tab)), buf.toString('latin1', start + LS_TREE_PLAIN.length, tab)];
    }
    yield* this.#odd;
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, string]> {
    return this.entries();
  }

  forEach(fn: (value: string, key: string, map: ReadonlyMap<string, string>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this);
  }

  /** An entry's tab: after a SHA-1 id or a SHA-256 one (plainFolderEnd checked it was one of them). */
  #tab(start: number): number {
    return this.#buf[start + 52] === 0x09 ? start + 52 : start + 76;
  }
}

/**
 * Compares the name in `buf` from `from` to `to`, followed by "/", with `want` (a name and "/"),
 * byte by byte: git's order of a tree's folder entries.
 */
function compareAsFolder(buf: Buffer, from: number, to: number, want: Buffer): number {
  const n = to - from;
  for (let i = 0; i < want.length; i++) {
    const a = i < n ? buf[from + i]! : i === n ? 0x2f : -1;
    if (a < 0) return -1;
    const d = a - want[i]!;
    if (d !== 0) return d;
  }
  return n + 1 === want.length ? 0 : 1;
}

/**
 * Where the entry from `start` ends (its NUL) when it is `040000 tree <oid>\tconnectors/<name>`
 * with a lower-case hex SHA-1 or SHA-256 id and a name holding no slash; else -1.
 */
function plainFolderEnd(buf: Buffer, start: number): number {
  // Byte by byte: Buffer#compare's argument checks and a native indexOf per entry cost more than the bytes, 100,000 times over.
  if (!startsWith(buf, start, LS_TREE_PLAIN)) return -1;
  const tab = buf[start + 52] === 0x09 ? start + 52 : buf[start + 76] === 0x09 ? start + 76 : -1;
  if (tab < 0) return -1;
  for (let i = start + LS_TREE_PLAIN.length; i < tab; i++) {
    const c = buf[i]!;
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return -1;
  }
  if (!startsWith(buf, tab + 1, LS_TREE_FOLDER)) return -1;
  const name = tab + 1 + LS_TREE_FOLDER.length;
  for (let i = name; i < buf.length; i++) {
    const c = buf[i];
    if (c === 0) return i > name ? i : -1;
    if (c === 0x2f) return -1;
  }
  return -1;
}

function startsWith(buf: Buffer, at: number, prefix: Buffer): boolean {
  if (at + prefix.length > buf.length) return false;
  for (let i = 0; i < prefix.length; i++) if (buf[at + i] !== prefix[i]) return false;
  return true;
}

const STATUS = /^([ MTADRCU?!])([ MTADRCU?!]) (.+)$/s;

/** What a `git status` that listed folders saw: the folders of connectors/ holding untracked or ignored entries. */
interface WalkSeen {
  untracked: Set<string>;
}

/**
 * `git status --porcelain=v1 -z --no-renames`: `XY <path>` per entry; every path named makes its
 * folder dirty. `catalog.entries` counts the entries under pipeline/catalog/.
 */
export function parseStatus(buf: Buffer, into: GitFolders, catalog: { entries: number } = { entries: 0 }): WalkSeen {
  const seen: WalkSeen = { untracked: new Set() };
  for (const rec of records(buf)) {
    const m = STATUS.exec(rec);
    // With --no-renames no entry carries a second path; one that does is not the format we know.
    if (!m || m[1] === 'R' || m[1] === 'C') throw new GitUnexpected(`git status printed an entry it should not: ${JSON.stringify(rec.slice(0, 200))}`);
    const ignored = m[1] === '!';
    if (!ignored) into.uncommitted = true;
    if (m[3]!.startsWith(`${CATALOG_DIR}/`)) {
      catalog.entries += 1;
      continue;
    }
    if (m[3] === `${CONNECTORS_DIR}/` && (m[1] === '?' || ignored)) into.allDirty = true;
    else {
      const folder = folderOf(m[3]!, 'status');
      into.dirty.add(folder);
      if (m[1] === '?' || ignored) seen.untracked.add(folder);
      else if (m[1] !== ' ') into.staged?.add(folder); // the index differs from HEAD (a space: only the worktree does)
    }
  }
  return seen;
}

/**
 * `git ls-files -v -z`: `<tag> <path>` per index entry. A lower-case tag is a file marked
 * assume-unchanged and `S` one marked skip-worktree: git status does not look at their bytes, so
 * their folders are read.
 */
export function parseLsFilesFlags(buf: Buffer, into: GitFolders): void {
  if (buf.length === 0) return;
  if (buf[buf.length - 1] !== 0) throw new GitUnexpected('git ls-files printed output that does not end in a NUL');
  // Byte by byte: at 100,000 folders this is megabytes of paths, nearly all of them tagged H.
  let start = 0;
  while (start < buf.length) {
    const end = buf.indexOf(0, start);
    const tag = buf[start]!;
    if (buf[start + 1] !== 0x20 || end < start + 3) throw new GitUnexpected(`git ls-files printed an entry it should not: ${JSON.stringify(buf.subarray(start, Math.min(end, start + 200)).toString('utf8'))}`);
    const lower = tag >= 0x61 && tag <= 0x7a;
    if (lower || tag === 0x53 /* S */) {
      const folder = folderOf(buf.subarray(start + 2, end).toString('utf8'), 'ls-files');
      into.dirty.add(folder);
      into.staged?.add(folder);
    }
    else if (tag < 0x41 || tag > 0x5a) throw new GitUnexpected(`git ls-files printed a tag it should not: ${JSON.stringify(String.fromCharCode(tag))}`);
    start = end + 1;
  }
}

/** Folders git vouches for: clean, with a tree id in HEAD. */
export function cleanTree(git: GitFolders, folder: string): string | undefined {
  return git.allDirty || git.dirty.has(folder) ? undefined : git.trees.get(folder);
}

/**
 * The names of the entries of connectors/ that differ between two of its tree ids (one level: a
 * folder whose files changed is named once), or undefined when git cannot say (an object missing,
 * as in a shallow clone without the older tree, or git failing): the caller then reads everything.
 */
export async function changedEntries(repoRoot: string, from: string, to: string, run: RunGit = runGit): Promise<string[] | undefined> {
  if (!/^[0-9a-f]{40,64}$/.test(from) || !/^[0-9a-f]{40,64}$/.test(to)) return undefined;
  if (from === to) return [];
  const known = entryDiffs.get(`${from}:${to}`);
  if (known) return [...known];
  // Asked again while git works on it (a sync starts it early, then waits for it): git runs once.
  const key = `${repoRoot}\0${from}:${to}`;
  let asked = entryDiffsAsked.get(key);
  if (!asked) {
    asked = diffEntries(repoRoot, from, to, run).finally(() => entryDiffsAsked.delete(key));
    entryDiffsAsked.set(key, asked);
  }
  const names = await asked;
  if (names) rememberChangedEntries(from, to, names);
  return names && [...names];
}

async function diffEntries(repoRoot: string, from: string, to: string, run: RunGit): Promise<string[] | undefined> {
  try {
    const r = await run(['diff-tree', '-z', '--name-only', '--no-renames', from, to], repoRoot);
    if (r.code !== 0) return undefined;
    return r.stdout.toString('utf8').split('\0').filter((n) => n.length > 0);
  } catch {
    return undefined;
  }
}

/** changedEntries' git runs not yet answered, by repository and trees (a missing object is one repository's). */
const entryDiffsAsked = new Map<string, Promise<string[] | undefined>>();

/**
 * Differences between two tree ids of connectors/ already worked out (by changedEntries, or by
 * git-since.ts from a watcher's look): a diff of two trees of 100,000 entries takes git 0.1-0.3 s,
 * and tree ids are content addresses, so the answer never goes stale. The last few are kept.
 */
const entryDiffs = new Map<string, readonly string[]>();
const ENTRY_DIFFS_KEPT = 8;

export function rememberChangedEntries(from: string, to: string, names: readonly string[]): void {
  entryDiffs.delete(`${from}:${to}`);
  entryDiffs.set(`${from}:${to}`, [...names]);
  for (const key of entryDiffs.keys()) {
    if (entryDiffs.size <= ENTRY_DIFFS_KEPT) break;
    entryDiffs.delete(key);
  }
}
