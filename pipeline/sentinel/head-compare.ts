/**
 * A directory of the worktree compared with HEAD's tree byte for byte, without git reading the
 * index (which alone costs a fifth of a second at 100,000 connectors, and is what `git status`
 * reads first even for one folder): `git ls-tree -r` of the directory's own tree, the blob ids
 * hashed from its files, untracked files put to `git check-ignore --no-index`. For directories
 * whose index entries are HEAD's (no staged change, no flagged file): npm start's looks since the
 * last one (git-since.ts) and a CLI look at the folders changed since the walk note (git-folders.ts).
 * What it cannot word (a symbolic link, an executable bit, a nested repository, many untracked
 * files) is 'ask': git is asked about that directory by name.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expectOk, GitUnexpected, LS_TREE, type RunGit } from './git-run.ts';

/**
 * A directory's worktree compared with HEAD's tree, byte for byte: 'clean' when it holds exactly
 * HEAD's files (empty directories aside, as git sees them); dirty, and whether any of that is
 * uncommitted work (a modified, deleted or untracked file) rather than ignored files only; or
 * 'ask' when git must say (a symbolic link or submodule in HEAD, an executable bit that differs,
 * a nested repository, anything but files and directories, too many untracked files).
 */
export type Compared = 'clean' | 'ask' | { uncommitted: boolean };

/** At most this many untracked files are put to `git check-ignore`; more, and git is asked about their directories. */
const MAX_EXTRAS = 200;

/** What git quotes in a path it prints even with core.quotePath off: control characters, a double quote, a backslash. */
const QUOTED = /[\x00-\x1f\x7f"\\]/;

/** At most this many directories are listed by their own tree ids (one small `git ls-tree` each, side by side). */
const FEW_TREES = 8;

/**
 * `dirs`: each directory with its tree id in `head` (null: none there), or undefined when not known.
 * `others`, when given, gets each compared directory that holds an untracked or ignored entry,
 * an empty directory included (git lists none of these in `status`, and a file put in one later
 * changes no directory git tracks, so a caller that remembers what to look at again needs them).
 */
export async function compareWithHead(
  root: string, head: string, dirs: Map<string, string | null | undefined>, run: RunGit, others?: Set<string>,
): Promise<Map<string, Compared>> {
  const inHead = new Map<string, Map<string, { mode: string; oid: string }>>([...dirs.keys()].map((d) => [d, new Map()]));
  // Recursive: one entry per file, `<mode> <type> <oid>\t<path>`. Reads HEAD's trees, not the index.
  const add = (listing: Buffer, under: (p: string) => string | undefined, prefix: string) => {
    for (const rec of listing.toString('utf8').split('\0')) {
      if (rec === '') continue;
      const m = LS_TREE.exec(rec);
      const dir = m && under(prefix + m[4]!);
      if (!m || !dir) throw new GitUnexpected('git ls-tree printed an entry it should not');
      inHead.get(dir)!.set(prefix + m[4]!, { mode: m[1]!, oid: m[3]! });
    }
  };
  if (dirs.size <= FEW_TREES && [...dirs.values()].every((id) => id !== undefined)) {
    // By tree id: a folder's own small tree, not HEAD's connectors/ of 100,000 entries (40-70 ms to read).
    await Promise.all([...dirs].map(async ([dir, id]) => {
      if (id) add(await expectOk(run, ['ls-tree', '-r', '-z', id], root), () => dir, `${dir}/`);
    }));
  } else {
    const names = [...dirs.keys()];
    add(await expectOk(run, ['ls-tree', '-r', '-z', head, '--', ...names], root), (p) => names.find((d) => p.startsWith(`${d}/`)), '');
  }
  const out = new Map<string, Compared>();
  const extras = new Map<string, string[]>();
  for (const dir of dirs.keys()) {
    const files = inHead.get(dir)!;
    const c = compareDir(root, dir, files);
    if (c.kind === 'extra') extras.set(dir, c.extras);
    if (c.kind !== 'ask' && (c.bare || (c.kind === 'extra' && c.extras.length > 0))) others?.add(dir);
    out.set(dir, c.kind === 'extra' ? { uncommitted: c.changed } : c.kind);
  }
  const all = [...extras.values()].flat();
  if (all.length > MAX_EXTRAS) {
    for (const dir of extras.keys()) out.set(dir, 'ask');
    return out;
  }
  if (all.length > 0) {
    // Ignored files are dirt, not uncommitted work. --no-index: none of these is in the index (its
    // entries here are HEAD's). One path per line (-z needs --stdin): a name git would quote is git's to word.
    for (const [dir, list] of extras) if (list.some((p) => QUOTED.test(p))) out.set(dir, 'ask');
    const asked = [...extras].filter(([dir]) => out.get(dir) !== 'ask').flatMap(([, list]) => list);
    const r = asked.length === 0 ? undefined : await run(['-c', 'core.quotePath=false', 'check-ignore', '--no-index', '--', ...asked], root);
    if (r && ((r.code !== 0 && r.code !== 1) || r.stderr.trim() !== '')) throw new GitUnexpected(`git check-ignore failed (exit ${r.code})`);
    const ignored = new Set(r?.stdout.toString('utf8').split('\n'));
    for (const [dir, list] of extras) if (out.get(dir) !== 'ask' && list.some((p) => !ignored.has(p))) out.set(dir, { uncommitted: true });
  }
  return out;
}

/** `bare`: a directory in it (or itself) holds no file of HEAD's: empty, or untracked or ignored entries only. */
type DirComparison = { kind: 'ask' } | { kind: 'clean'; bare: boolean } | { kind: 'extra'; changed: boolean; extras: string[]; bare: boolean };

/** compareWithHead for one directory (relative to root), given HEAD's files under it by path. */
function compareDir(root: string, dir: string, files: Map<string, { mode: string; oid: string }>): DirComparison {
  const top = lstatSync(path.join(root, dir), { throwIfNoEntry: false });
  if (!top) return files.size === 0 ? { kind: 'clean', bare: false } : { kind: 'extra', changed: true, extras: [], bare: false }; // deleted
  if (!top.isDirectory()) return { kind: 'ask' }; // a file or a link in the folder's place
  let changed = false;
  let seen = 0;
  let bare = false;
  const extras: string[] = [];
  const walk = (rel: string): boolean => {
    const seenBefore = seen;
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) {
        if (e.name === '.git' || !walk(p)) return false; // a repository of its own: git words it
        continue;
      }
      const want = files.get(p);
      if (!want) {
        if (!e.isFile() && !e.isSymbolicLink()) return false;
        // A folder holding a whole ignored tree (node_modules/): git words it as one entry.
        if (extras.push(p) > MAX_EXTRAS) return false;
        continue;
      }
      if (!e.isFile() || (want.mode !== '100644' && want.mode !== '100755')) return false;
      seen += 1;
      const abs = path.join(root, p);
      // An executable bit other than HEAD's counts only where git looks at it (core.fileMode): git says.
      if (((lstatSync(abs).mode & 0o100) !== 0) !== (want.mode === '100755')) return false;
      const body = readFileSync(abs);
      const oid = createHash(want.oid.length === 64 ? 'sha256' : 'sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
      if (oid !== want.oid) changed = true;
    }
    if (seen === seenBefore) bare = true;
    return true;
  };
  try {
    if (!walk(dir)) return { kind: 'ask' };
  } catch {
    return { kind: 'ask' }; // changed while read, or unreadable: git says
  }
  if (seen !== files.size) changed = true; // a file of HEAD's is gone
  return changed || extras.length > 0 ? { kind: 'extra', changed, extras, bare } : { kind: 'clean', bare };
}
