/**
 * Running git for the sentinel: one spawn per command with the options every look needs (no
 * index lock taken, pathspecs literal, C locale, its own process group, a time and output limit),
 * a failure of git as GitUnexpected (the sync then hashes files, as outside git), and the format
 * of `git ls-tree -z` entries. git-folders.ts, git-since.ts and head-compare.ts all ask git through it.
 */
import { spawn } from 'node:child_process';

/** Why git could not be asked: the sync then hashes files, as outside git. */
export class GitUnexpected extends Error {
  override name = 'GitUnexpected';
}

export interface GitRunResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}
/** Runs git with `args` in `cwd`; rejects only when git cannot be started at all (ENOENT). */
export type RunGit = (args: string[], cwd: string) => Promise<GitRunResult>;

/** Enough for a slow disk at 100,000 folders; a git that takes longer is treated as failed. */
const GIT_TIMEOUT_MS = 120_000;

/** More output than this from one git command is treated as git failing (ENOBUFS). */
const GIT_MAX_OUTPUT = 1024 * 1024 * 1024;

export const runGit: RunGit = (args, cwd) =>
  new Promise((resolve, reject) => {
    // Never take the index lock (an editor or another git command may be working in the repository),
    // and a folder name is a name, never a glob. LC_ALL=C: git's messages in English, the one thing
    // read from them being "not a git repository". detached: git leads its own process group, so a
    // Ctrl-C in the terminal (sent to the whole foreground group) reaches npm start, which lets a
    // running sync finish, and not git, whose death would make the sync read every folder first
    // (20 s at 100,000). (execFile does not pass `detached` on, hence spawn.)
    // check-ignore takes paths, not pathspecs, and refuses the option (the command: after any `-c name=value`).
    const command = args[args[0] === '-c' ? 2 : 0];
    const literal = command === 'check-ignore' ? [] : ['--literal-pathspecs'];
    const child = spawn('git', ['--no-optional-locks', ...literal, ...args], {
      cwd, detached: true, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', LANGUAGE: '' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let ended: 'timeout' | 'too much' | undefined;
    const stop = (why: 'timeout' | 'too much') => {
      ended ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop('timeout'), GIT_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > GIT_MAX_OUTPUT) stop('too much');
      else out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e); // ENOENT: no git (a later 'close' settles nothing)
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (ended === 'too much') return reject(Object.assign(new Error(`git ${args[0]} printed more than 1 GiB`), { code: 'ENOBUFS' }));
      const stdout = Buffer.concat(out);
      if (ended === 'timeout') return resolve({ code: null, stdout, stderr: `timed out after ${GIT_TIMEOUT_MS / 1000} s` });
      resolve({ code: code ?? 1, stdout, stderr: Buffer.concat(err).toString('utf8') }); // killed by a signal: failed
    });
  });

export async function expectOk(run: RunGit, args: string[], cwd: string): Promise<Buffer> {
  const r = await run(args, cwd);
  if (r.code !== 0 || r.stderr.trim() !== '') throw new GitUnexpected(`git ${args[0]} failed (${describeGitFailure(r)})`);
  return r.stdout;
}

export function describeGitFailure(r: GitRunResult): string {
  const said = r.stderr.trim().split('\n')[0]?.slice(0, 200);
  return `exit ${r.code ?? 'none'}${said ? `: ${said}` : ''}`;
}

/** One entry of `git ls-tree -z`: mode, type, object id, path. */
export const LS_TREE = /^([0-7]{6}) (tree|blob|commit) ([0-9a-f]{40}(?:[0-9a-f]{24})?)\t(.+)$/s;
