/** Who ran a sync, on which commit, and whether it read uncommitted work, for the registry_syncs row. */
import { execFile } from 'node:child_process';
import os from 'node:os';

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

/** What a sync reads from the repository: uncommitted changes there mean it synced more than its commit. */
export const SYNCED_PATHS = ['connectors', 'pipeline/catalog'] as const;

/**
 * True when connectors/ or pipeline/catalog/ differ from HEAD (modified, staged, deleted or
 * untracked files: `git status --porcelain`), false when they do not, null when that is not known
 * (not a git checkout, no git, or git failed). `--no-optional-locks`: a status taken while an
 * editor or another git command works in the repository never takes or waits for its index lock.
 */
export function detectWorktreeDirty(repoRoot: string): Promise<boolean | null> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['--no-optional-locks', 'status', '--porcelain', '--untracked-files=normal', '--', ...SYNCED_PATHS],
      { cwd: repoRoot, timeout: 5000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => resolve(err ? null : stdout.trim().length > 0),
    );
  });
}
