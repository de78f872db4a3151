/**
 * git's answer for a process that watches the trees (npm start): the last look at the checkout,
 * brought up to date from what the watcher saw change since, instead of git stat-ing every
 * tracked file again (about 0.5 s of two cores at 100,000 connectors, however little changed).
 *
 * A folder the watcher saw no event under, whose entry in HEAD did not move and whose index
 * entries did not change, is as the last look found it; the last look found it clean (every
 * folder it found dirty is asked again), so it is clean still. So each look is about
 *   - the folders the watcher saw a change under since the last look began,
 *   - the folders the last look found dirty (they may be clean again),
 *   - when HEAD moved: the folders whose entries differ between the two commits (git diff-tree),
 *   - when HEAD or the index file moved (a commit, a staged file, git rm --cached, a flag set): the
 *     folders whose index entries differ from HEAD (git diff-index --cached) and those with files
 *     git was told not to look at (git ls-files -v),
 * and pipeline/catalog/ when something there changed, it was not clean, or HEAD or the index
 * moved. The watcher sees nothing of .git/, hence HEAD's tree id and the index's checksum,
 * compared before and after each look.
 *
 * Of those, a folder whose index entries are HEAD's (no staged change, no flagged file) is
 * compared with HEAD's tree byte for byte here (`git ls-tree -r` of its tree, the blob ids hashed
 * from its files; untracked files put to `git check-ignore`): no git command reads the index, which
 * alone costs a fifth of a second at 100,000. The rest, and what that comparison cannot word (a
 * symbolic link, an executable bit, a nested repository), git is asked about by name.
 *
 * Anything else is a full look (readGitFolders), never a guess: no earlier look, a watcher not
 * armed when it began or in doubt since (an overflowed queue, a failed watch), connectors/ or
 * pipeline/catalog/ replaced (their watches follow the old directories), HEAD or the index moving
 * while git was asked, more folders to ask than pathspecs allow, git failing. Either way the
 * answer equals what a full look would say of the same checkout (git-since.test.ts).
 */
import path from 'node:path';
import {
  CATALOG_DIR, CONNECTORS_DIR, expectOk, folderOf, GitUnexpected, MAX_PATHSPECS, parseLsFilesFlags, parseRoots, readGitFolders, readMark, recheckFolders,
  rememberChangedEntries, runGit, type GitFolders, type Mark, type RunGit,
} from './git-folders.ts';
import { compareWithHead, type Compared } from './head-compare.ts';


interface Look {
  folders: GitFolders;
  mark: Mark;
  /** The watcher's epoch when the look began (see WatchedGit). */
  epoch: number;
  /** The folders holding files git was told not to look at, when known (a full look does not say): each is dirty too. */
  flagged?: Set<string>;
  /** HEAD's tree ids as a map of the watcher's own (ownTrees), changed in place when HEAD moves. */
  trees?: Map<string, string>;
}

/** The look's tree ids as a Map the watcher may change (a full look answers from git's output, read-only). */
const ownTrees = (l: Look): Map<string, string> => (l.trees ??= l.folders.trees instanceof Map ? l.folders.trees : new Map(l.folders.trees));

/** Where a sync's view of git comes from, when not from git directly (runSync's `git` option). */
export interface GitSource {
  /** What git says of the checkout now, as readGitFolders with every folder (undefined: outside git, or git failing). */
  look(): Promise<GitFolders | undefined>;
  /** What git says now of a few folders the sync read, as readGitFolders with `folders`: a folder changed while read is not clean. */
  recheck(folders: readonly string[]): Promise<GitFolders | undefined>;
}

export interface WatchedGit extends GitSource {
  /** Paths the watcher saw change (absolute, or relative to the repository's root). */
  changed(paths: readonly string[]): void;
  /** The watcher may have missed a change (or is not armed yet, or stopped): the next look is a full one. */
  doubt(): void;
  /** Every directory is watched from now on: a look begun after this can be the base of the next. */
  armed(): void;
  /** Tests: how the last look was made. */
  lastLook(): 'full' | 'since' | undefined;
}

export function watchedGit(repoRoot: string, opts: { log?: (line: string) => void; run?: RunGit } = {}): WatchedGit {
  const run = opts.run ?? runGit;
  const root = path.resolve(repoRoot);
  const connectorsDir = path.join(root, CONNECTORS_DIR) + path.sep;
  const catalogDir = path.join(root, CATALOG_DIR);
  let touched = new Set<string>();
  let catalogTouched = false;
  /** Bumped on every doubt: a look begun in another epoch says nothing of this one. */
  let epoch = 0;
  let isArmed = false;
  let last: Look | undefined;
  let how: 'full' | 'since' | undefined;

  return {
    changed(paths) {
      for (const p of paths) {
        const abs = path.resolve(root, p);
        if (abs === catalogDir || abs.startsWith(catalogDir + path.sep)) catalogTouched = true;
        if (!abs.startsWith(connectorsDir)) continue; // _template/ is no folder of the registry
        const folder = abs.slice(connectorsDir.length).split(path.sep)[0];
        if (folder) touched.add(folder);
      }
    },
    doubt() {
      epoch += 1;
      last = undefined;
    },
    armed() {
      isArmed = true;
    },
    async look() {
      // Taken before git is asked: an event from here on names its folder in the next look.
      const since = { folders: touched, catalog: catalogTouched };
      touched = new Set();
      catalogTouched = false;
      const began = { epoch, armed: isArmed };
      const mark = await readMark(root, run).catch(() => undefined);
      const base = last && last.epoch === began.epoch && mark ? last : undefined;
      let folders = base && mark ? await lookSince(root, base, mark, since, run).catch(() => undefined) : undefined;
      how = folders ? 'since' : 'full';
      folders ??= await readGitFolders(root, { log: opts.log, run });
      // The base of the next look only when nothing could have gone unseen since it began.
      last = folders && mark && began.armed && began.epoch === epoch ? { folders, mark, epoch, flagged: how === 'since' ? folders.flagged : undefined } : undefined;
      if (last) {
        // HEAD's tree ids as a map, which the next look whose HEAD moved changes (80-280 ms at
        // 100,000): made once, after this sync, while nothing waits, and passed on from look to look.
        const made = last;
        setTimeout(() => void ownTrees(made), 0).unref();
      }
      return folders;
    },
    async recheck(folders) {
      // At the last look's mark, as a CLI sync re-checks at its own look's (recheckFolders).
      const l = last;
      const look = l ? { trees: l.folders.trees, staged: l.folders.staged, mark: l.mark } : {};
      return recheckFolders(root, look, folders, { log: opts.log, run });
    },
    lastLook: () => how,
  };
}

/** The last look brought up to date (see the module comment), or undefined when only a full look can say. */
async function lookSince(root: string, base: Look, now: Mark, since: Touched, run: RunGit): Promise<GitFolders | undefined> {
  const before = base.folders;
  if (before.allDirty || !before.roots || !before.staged || now.roots !== base.mark.roots) return undefined;
  const still = now.head === base.mark.head && now.index === base.mark.index;
  const named = new Set([...since.folders, ...before.dirty]);
  // At the base's HEAD and index, what the base knew: which folders have index entries other than
  // HEAD's, which hold flagged files (every one of them dirty, so named), and HEAD's tree ids.
  let staged = before.staged;
  let flagged = base.flagged;
  let catalogStaged = !before.roots.catalogClean; // not known: git says
  let roots = before.roots;
  const moved = new Map<string, string | null>(); // folder -> its tree id in the new HEAD (null: none, or not a plain folder)
  if (!still) {
    if (!before.roots.connectors) return undefined;
    const [headRoots, diff, flags, movedTo] = await Promise.all([
      expectOk(run, ['ls-tree', '-z', now.head, '--', CONNECTORS_DIR, CATALOG_DIR], root).then(parseRoots),
      expectOk(run, ['diff-index', '--cached', '-z', '--name-only', '--no-renames', now.head, '--', `${CONNECTORS_DIR}/`, `${CATALOG_DIR}/`], root),
      expectOk(run, ['ls-files', '-v', '-z', '--', `${CONNECTORS_DIR}/`], root),
      // HEAD's connectors/ by path (its id comes with ls-tree, at the same time): the diff of two trees of 100,000 entries is the longest part.
      base.mark.head === now.head ? new Map<string, string | null>() : movedFolders(run, root, before.roots.connectors, `${now.head}:${CONNECTORS_DIR}`),
    ]);
    if (!headRoots.connectors || !headRoots.catalog) return undefined;
    if (base.mark.head !== now.head) rememberChangedEntries(before.roots.connectors, headRoots.connectors, [...movedTo.keys()]); // the sync asks the same (changedEntries)
    const listed: GitFolders = { trees: new Map(), dirty: new Set(), uncommitted: false };
    parseLsFilesFlags(flags, listed);
    flagged = listed.dirty;
    staged = new Set(flagged);
    catalogStaged = false;
    for (const p of diff.toString('utf8').split('\0')) {
      if (p === '') continue;
      if (p.startsWith(`${CATALOG_DIR}/`)) catalogStaged = true;
      else staged.add(folderOf(p, 'diff-index'));
    }
    for (const [f, id] of movedTo) {
      moved.set(f, id);
      if (id === null) staged.add(f); // gone from HEAD, or no plain folder there: git says
    }
    roots = { ...headRoots, catalogClean: before.roots.catalogClean };
    for (const f of [...staged, ...moved.keys()]) named.add(f);
  }
  if (named.size > MAX_PATHSPECS) return undefined;
  // pipeline/catalog/ is watched too: looked at when something there changed or was not clean, or
  // HEAD or the index moved (its tree id, its index entries).
  const catalog = since.catalog || !before.roots.catalogClean || !still;
  if (!catalog && named.size === 0) return before;

  // A folder whose index entries are HEAD's has its files compared with HEAD's blobs here, without
  // git reading the index (a fifth of a second at 100,000). What that cannot word goes to git.
  // Each with its tree id in the new HEAD, where HEAD's tree ids are at hand (made after the last look).
  const idOf = (f: string) => (moved.has(f) ? moved.get(f)! : before.trees.get(f) ?? null);
  const bytes = new Map<string, string | null | undefined>([...named].filter((f) => !staged.has(f)).map((f) => [`${CONNECTORS_DIR}/${f}`, idOf(f)]));
  if (catalog && !catalogStaged) bytes.set(CATALOG_DIR, roots.catalog);
  const compared = bytes.size > 0 ? await compareWithHead(root, now.head, bytes, run) : new Map<string, Compared>();
  const byGit = [...named].filter((f) => (compared.get(`${CONNECTORS_DIR}/${f}`) ?? 'ask') === 'ask').sort();
  const catalogByGit = catalog && (compared.get(CATALOG_DIR) ?? 'ask') === 'ask';
  const asked = byGit.length > 0 || catalogByGit
    ? await readGitFolders(root, { folders: byGit, catalog: catalogByGit, flagged, run, memo: false })
    : { trees: new Map<string, string>(), dirty: new Set<string>(), uncommitted: false, staged: new Set<string>(), flagged: new Set<string>() };
  if (!asked || asked.allDirty || (catalogByGit && !asked.roots)) return undefined;
  // HEAD or the index moved while git was asked: the folders not named may have moved with them.
  const after = await readMark(root, run);
  if (!after || after.head !== now.head || after.index !== now.index || after.roots !== now.roots) return undefined;
  // Only the moved folders' entries differ from the base's HEAD; the rest are the base's (in the
  // watcher's own map, made after the last look while nothing waited; a look at the same HEAD passes them on unread).
  if (moved.size > 0) {
    const trees = ownTrees(base);
    for (const [f, id] of moved) {
      if (id === null) trees.delete(f);
      else trees.set(f, id);
    }
  }
  // Every folder not named was clean in the base look and is still: only the named can be dirty or uncommitted.
  const out: GitFolders = {
    trees: new Map(), dirty: asked.dirty, uncommitted: asked.uncommitted, staged: asked.staged, flagged: asked.flagged,
    // pipeline/catalog/ not looked at: clean in the base, untouched since, at the same HEAD.
    roots: catalogByGit ? asked.roots! : { ...roots, catalogClean: catalog ? compared.get(CATALOG_DIR) === 'clean' : roots.catalogClean },
  };
  for (const [dir, c] of compared) {
    if (c === 'clean' || c === 'ask') continue;
    if (c.uncommitted) out.uncommitted = true;
    if (dir !== CATALOG_DIR) out.dirty.add(dir.slice(CONNECTORS_DIR.length + 1));
  }
  Object.defineProperty(out, 'trees', { enumerable: true, get: () => base.trees ?? before.trees });
  return out;
}

/**
 * The entries of connectors/ that differ between two of its tree ids, each with its id in the
 * second (null: gone, or not a plain folder there). `git diff-tree -z` without -r:
 * `:<old mode> <new mode> <old id> <new id> <status>` NUL `<name>` NUL per entry.
 */
async function movedFolders(run: RunGit, root: string, from: string, to: string): Promise<Map<string, string | null>> {
  const parts = (await expectOk(run, ['diff-tree', '-z', '--no-renames', from, to], root)).toString('utf8').split('\0');
  const out = new Map<string, string | null>();
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const m = /^:[0-7]{6} ([0-7]{6}) [0-9a-f]{40,64} ([0-9a-f]{40,64}) [A-Z]$/.exec(parts[i]!);
    const name = parts[i + 1]!;
    if (!m || name === '' || name.includes('/')) throw new GitUnexpected('git diff-tree printed an entry it should not');
    out.set(name, m[1] === '040000' ? m[2]! : null);
  }
  return out;
}

/** What the watcher saw change since the last look began. */
interface Touched {
  folders: Set<string>;
  catalog: boolean;
}

