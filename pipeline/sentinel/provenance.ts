/** Who ran a sync, on which commit, and whether it read uncommitted work, for the registry_syncs row. */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { readGitFolders, type GitFolders } from './git-folders.ts';

/** GITHUB_ACTOR in CI, else the OS user name, else "unknown". */
export function defaultActor(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_ACTOR) return env.GITHUB_ACTOR;
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return env.USER ?? env.USERNAME ?? 'unknown';
  }
}

/** GITHUB_SHA in CI, else `git rev-parse HEAD` in the repository, else null (not a git checkout). */
export function detectCommit(repoRoot: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  if (env.GITHUB_SHA) return Promise.resolve(env.GITHUB_SHA);
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', '--verify', '--quiet', 'HEAD'], { cwd: repoRoot, timeout: 5000 }, (err, stdout) => {
      const sha = stdout.trim();
      resolve(!err && /^[0-9a-f]{40,64}$/.test(sha) ? sha : null);
    });
  });
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
