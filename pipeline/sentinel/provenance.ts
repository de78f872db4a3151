/** Who ran a sync and on which commit, for the registry_syncs row. */
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
