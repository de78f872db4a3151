/** Who ran a sync, on which commit, and whether it read uncommitted work, for the registry_syncs row. */
import os from 'node:os';
import { readGitFolders, runGit, type GitFolders } from './git-folders.ts';

/** GITHUB_ACTOR in CI, else the OS user name, else "unknown". */
export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_ACTOR) return env.GITHUB_ACTOR;
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

/** GITHUB_SHA in CI, else `git rev-parse HEAD` in the repository (git run as every sync runs it: runGit), else null (not a git checkout). */
export async function detectCommit(repoRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (env.GITHUB_SHA) return env.GITHUB_SHA;
  try {
    const r = await runGit(['rev-parse', '--verify', '--quiet', 'HEAD'], repoRoot);
    const sha = r.stdout.toString('utf8').trim();
    return r.code === 0 && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null;
  } catch {
    return null; // no git
  }
}

/**
 * True when connectors/ or pipeline/catalog/ differ from HEAD (modified, staged, deleted or
 * untracked files), false when they do not, null when that is not known (not a git checkout, no
 * git, or git failed). The same `git status` that tells the sync which connector folders to read
 * (git-folders.ts, which never takes the index lock): a sync asks git once.
 */
export function detectWorktreeDirty(repoRoot: string): Promise<boolean | null> {
  return worktreeDirtyFrom(readGitFolders(repoRoot));
}

/** detectWorktreeDirty from an answer of git already asked for. */
export async function worktreeDirtyFrom(git: Promise<GitFolders | undefined>): Promise<boolean | null> {
  return (await git)?.uncommitted ?? null;
}
