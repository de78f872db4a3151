/**
 * Running git on the default branch's checkout for pr-comment, with an environment of our own:
 * nothing of the job's (no GITHUB_TOKEN, no REGISTRY_DATABASE_URL) reaches git, no prompt can
 * hang it, no hook runs, and the token, when a fetch needs it, travels as an HTTP header set
 * through GIT_CONFIG_* variables (never on a command line, never in .git/config, never in a URL).
 */
import { execFile } from 'node:child_process';

export interface GitOptions {
  /** The checkout. */
  cwd: string;
  /** For fetches from GitHub: the server (https://github.com) and the token it accepts. */
  auth?: { serverUrl: string; token: string } | null;
  /** Default 5 minutes. */
  timeoutMs?: number;
}

export type GitResult = { ok: true; stdout: Buffer } | { ok: false; message: string };

/** PATH and HOME only, plus what makes git safe to run unattended. */
export function gitEnv(auth: GitOptions['auth']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/',
    LC_ALL: 'C',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'true',
    GIT_CONFIG_NOSYSTEM: '1',
  };
  if (auth && /^https:\/\//.test(auth.serverUrl)) {
    // The header actions/checkout would persist, given to this process only, for this server only.
    const basic = Buffer.from(`x-access-token:${auth.token}`).toString('base64');
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: `http.${auth.serverUrl}/.extraheader`, GIT_CONFIG_VALUE_0: `AUTHORIZATION: basic ${basic}` });
  }
  return env;
}

/** `git -c core.hooksPath=/dev/null ARGS` in the checkout; a failure is a message (git's first stderr line). */
export function runGit(args: string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['-c', 'core.hooksPath=/dev/null', '--literal-pathspecs', ...args],
      { cwd: options.cwd, env: gitEnv(options.auth), encoding: 'buffer', maxBuffer: 256 * 1024 * 1024, timeout: options.timeoutMs ?? 5 * 60_000 },
      (err, stdout, stderr) => {
        if (!err) return resolve({ ok: true, stdout });
        const first = stderr.toString('utf8').trim().split('\n')[0] || err.message.split('\n')[0];
        resolve({ ok: false, message: `git ${args[0]} failed: ${first}` });
      },
    );
  });
}
