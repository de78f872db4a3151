/**
 * Which connector folders a plan or sync reads. What the registry remembers of the last sync
 * (known-sources.ts) meets what git says of the checkout (git-folders.ts): a folder clean in the
 * worktree whose tree id in HEAD is the one the registry synced, under the same validation
 * fingerprint, is unchanged without being read; every other folder is read and validated (where
 * the source sha256 still spares parsing bytes the registry synced). Outside git, or when git
 * fails, every folder is read, as before.
 *
 * The outcome never depends on git: a plan made on git's word equals the plan made by reading
 * every folder (pipeline/sentinel/test/sync-git.test.ts holds that for every case it covers).
 */
import type { KnownSources } from '../validate/unchanged.ts';
import type { ValidConnector } from '../validate/types.ts';
import { cleanTree, readGitFolders, recheckFolders, type GitFolders, type RunGit } from './git-folders.ts';
import type { GitSource } from './git-since.ts';

export interface FolderSources {
  /** For the validator: what the registry synced, with the folders git vouches for (`untouched`). Undefined: validate everything. */
  known?: KnownSources;
  /** What git said; undefined outside git (or when git failed). */
  git?: GitFolders;
}

export interface FolderSourceOptions {
  repoRoot: string;
  /** What the registry remembers (readKnownSources on a connection of the caller's). */
  readKnown: () => Promise<KnownSources | undefined>;
  /** `--full`: nothing is skipped; git is still asked (every folder listed, no walk note), for the tree ids this sync will remember. */
  full?: boolean;
  log?: (line: string) => void;
  /** Tests: a stand-in for the git executable. */
  runGit?: RunGit;
  /** git's answer when the caller already asked (runSync does, for its record): not asked again. */
  git?: Promise<GitFolders | undefined>;
}

/** The registry's memory and git's view, asked at the same time. */
export async function readFolderSources(opts: FolderSourceOptions): Promise<FolderSources> {
  const [known, git] = await Promise.all([
    opts.full ? undefined : opts.readKnown(),
    // --full trusts no note of an earlier look either: git lists every folder.
    opts.git ?? readGitFolders(opts.repoRoot, { log: opts.log, run: opts.runGit, memo: !opts.full }),
  ]);
  if (known && git) known.untouched = untouchedFolders(known, git);
  return { known, git };
}

/** Folders clean in the worktree whose tree id in HEAD is the one the registry synced. Pure. */
export function untouchedFolders(known: KnownSources, git: GitFolders): Set<string> {
  const out = new Set<string>();
  if (git.allDirty) return out;
  for (const [folder, tree] of git.trees) {
    if (!git.dirty.has(folder) && known.sources.get(folder)?.tree === tree) out.add(folder);
  }
  return out;
}

/**
 * Sets `source_tree` on every connector this run read: its tree id in HEAD when git vouched for
 * the folder both before it was read and after (asked again for those folders only: a folder
 * edited or committed while it was being read is not remembered by a tree id it may not match),
 * else null. Asked again by their bytes against HEAD's blobs when HEAD and the index are as the
 * look found them (recheckFolders), so a one-folder re-check does not have git read the index.
 * Folders taken unread already carry the registry's tree id. Outside git: left unset.
 * `recheck: false` (a plan, which writes nothing): git is not asked again; the ids are the ones a
 * sync of the same checkout remembers.
 */
export async function stampTrees(
  connectors: ValidConnector[], git: GitFolders | undefined,
  opts: Pick<FolderSourceOptions, 'repoRoot' | 'log' | 'runGit'> & { recheck?: boolean; git?: Pick<GitSource, 'recheck'> },
): Promise<void> {
  if (!git) return;
  const clean: ValidConnector[] = [];
  for (const c of connectors) {
    if (c.kind === 'unchanged' && c.unread) continue;
    if (cleanTree(git, c.slug) === undefined) c.source_tree = null;
    else clean.push(c);
  }
  if (clean.length === 0) return;
  const slugs = clean.map((c) => c.slug);
  const again = opts.recheck === false ? git
    : opts.git ? await opts.git.recheck(slugs)
    : await recheckFolders(opts.repoRoot, git, slugs, { log: opts.log, run: opts.runGit });
  for (const c of clean) {
    const tree = git.trees.get(c.slug)!;
    c.source_tree = again && cleanTree(again, c.slug) === tree ? tree : null;
  }
}
