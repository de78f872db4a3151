/**
 * What pr-comment takes from GitHub Actions, read once at the edge. pr-comment runs the default
 * branch's code in a `workflow_run` job, so it is the one that holds the write token and the
 * registry URL; the PR reaches it only as pointers (flags) and as git objects read as data.
 */
import { nonEmpty, readEvent, readRepository, readRunUrl, type Env } from './context.ts';
import { isCommitSha } from './pointers.ts';

export interface CommentContext {
  /** The default branch's checkout (GITHUB_WORKSPACE, else the working directory): main's code and git objects. */
  repoRoot: string;
  inActions: boolean;
  repository: { owner: string; repo: string };
  /** GITHUB_TOKEN: needs pull-requests: write. Never printed. */
  token: string;
  /** GITHUB_API_URL, default https://api.github.com (GitHub Enterprise Server: https://HOST/api/v3). */
  apiUrl: string;
  /** GITHUB_SERVER_URL, default https://github.com: the git remote that the token may authenticate to. */
  serverUrl: string;
  runUrl: string | null;
  /** REGISTRY_DATABASE_URL (a read-only role); null when absent or empty. Never printed. */
  registryUrl: string | null;
  /**
   * The login our comments are written by, when the token cannot say (`GET /user` answers 403 to an
   * installation token, a GitHub App's included): PR_COMMENT_AUTHOR, e.g. `my-app[bot]`.
   */
  commentAuthor: string | null;
  /**
   * The head commit of the workflow run that triggered this one (a `workflow_run` event's
   * `workflow_run.head_sha`, set by GitHub, not by the PR): the PR pointers must name the same commit.
   */
  triggeringHeadSha: string | null;
  /** Where to make the temporary copy of the PR's files: RUNNER_TEMP, else the OS temp dir. */
  tempDir: string | null;
}

export type CommentContextResult = { ok: true; context: CommentContext } | { ok: false; message: string };

interface WorkflowRunEvent {
  workflow_run?: { head_sha?: unknown; event?: unknown };
}

export async function readCommentContext(env: Env, cwd: string): Promise<CommentContextResult> {
  const apiUrl = nonEmpty(env.GITHUB_API_URL) ?? 'https://api.github.com';
  if (!/^https?:\/\/[^/\s]+/.test(apiUrl)) {
    return { ok: false, message: `GITHUB_API_URL must be an http(s) URL such as https://api.github.com or https://HOST/api/v3, got "${apiUrl}"` };
  }
  const repository = readRepository(env);
  if (!repository.ok) return repository;
  if (!repository.repository) return { ok: false, message: 'GITHUB_REPOSITORY is not set: run pr-comment in GitHub Actions, or set it to OWNER/REPO' };
  const token = nonEmpty(env.GITHUB_TOKEN);
  if (!token) {
    return { ok: false, message: 'GITHUB_TOKEN is not set: pass the job token (`GITHUB_TOKEN: ${{ github.token }}`) to the pr-comment step, with pull-requests: write' };
  }

  let triggeringHeadSha: string | null = null;
  const eventPath = nonEmpty(env.GITHUB_EVENT_PATH);
  if (nonEmpty(env.GITHUB_EVENT_NAME) === 'workflow_run' && eventPath) {
    const read = await readEvent(eventPath);
    if (!read.ok) return read;
    const run = (read.event as WorkflowRunEvent).workflow_run;
    if (run?.event !== 'pull_request') {
      return { ok: false, message: `the triggering workflow run was a "${String(run?.event)}" run, not a pull_request one: pr-comment has no PR to comment on` };
    }
    if (!isCommitSha(run.head_sha)) return { ok: false, message: `the workflow_run event in ${eventPath} lacks workflow_run.head_sha` };
    triggeringHeadSha = run.head_sha;
  }

  return {
    ok: true,
    context: {
      repoRoot: nonEmpty(env.GITHUB_WORKSPACE) ?? cwd,
      inActions: env.GITHUB_ACTIONS === 'true',
      repository: repository.repository,
      token,
      apiUrl,
      serverUrl: (nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, ''),
      runUrl: readRunUrl(env),
      registryUrl: nonEmpty(env.REGISTRY_DATABASE_URL),
      commentAuthor: nonEmpty(env.PR_COMMENT_AUTHOR),
      triggeringHeadSha,
      tempDir: nonEmpty(env.RUNNER_TEMP),
    },
  };
}
