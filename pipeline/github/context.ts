/**
 * What pr-check takes from GitHub Actions, read once at the edge: the environment and the event
 * payload. pr-check runs the PR's own code, so it reads no token and no registry URL: whatever the
 * job's environment holds, this context carries none of it (see comment-context.ts for pr-comment).
 */
import { readFile } from 'node:fs/promises';
import { isCommitSha } from './pointers.ts';

export interface PullRequestInfo {
  number: number;
  baseSha: string;
  headSha: string;
  baseRef: string | null;
  /** The head branch lives in another repository. */
  fromFork: boolean;
}

export interface ActionsContext {
  /** The checkout: GITHUB_WORKSPACE, else the working directory. */
  repoRoot: string;
  /** Whether we run inside GitHub Actions (GITHUB_ACTIONS=true): then workflow commands are printed. */
  inActions: boolean;
  eventName: string | null;
  repository: { owner: string; repo: string } | null;
  /** Set for pull_request and pull_request_target events. */
  pullRequest: PullRequestInfo | null;
  /** GITHUB_SHA, or the PR head. */
  sha: string | null;
  /** The run's page, for the footer. */
  runUrl: string | null;
  /** PR_CHECK_POINTERS: where to save the PR pointers for pr-comment (the artifact); null: nowhere. */
  pointersFile: string | null;
}

export type ContextResult = { ok: true; context: ActionsContext } | { ok: false; message: string };

export type Env = Record<string, string | undefined>;
export const nonEmpty = (v: string | undefined) => (v && v.trim() ? v.trim() : null);

/** GITHUB_REPOSITORY as owner and repo, null when unset; a message when malformed. */
export function readRepository(env: Env): { ok: true; repository: { owner: string; repo: string } | null } | { ok: false; message: string } {
  const full = nonEmpty(env.GITHUB_REPOSITORY);
  if (!full) return { ok: true, repository: null };
  const [owner, repo, ...extra] = full.split('/');
  if (!owner || !repo || extra.length) return { ok: false, message: `GITHUB_REPOSITORY must be OWNER/REPO, got "${full}"` };
  return { ok: true, repository: { owner, repo } };
}

/** The run's page from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID, when all are known. */
export function readRunUrl(env: Env): string | null {
  const server = nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com';
  const full = nonEmpty(env.GITHUB_REPOSITORY);
  const runId = nonEmpty(env.GITHUB_RUN_ID);
  return full && runId && /^\d+$/.test(runId) ? `${server}/${full}/actions/runs/${runId}` : null;
}

/** The JSON event payload, or a message naming the file. */
export async function readEvent(path: string): Promise<{ ok: true; event: unknown } | { ok: false; message: string }> {
  try {
    return { ok: true, event: JSON.parse(await readFile(path, 'utf8')) as unknown };
  } catch (err) {
    return { ok: false, message: `cannot read the event payload GITHUB_EVENT_PATH=${path}: ${(err as Error).message}` };
  }
}

interface PullRequestEvent {
  pull_request?: {
    number?: unknown;
    base?: { sha?: unknown; ref?: unknown; repo?: { full_name?: unknown } | null };
    head?: { sha?: unknown; repo?: { full_name?: unknown } | null };
  };
  repository?: { full_name?: unknown };
}

/** Reads the environment and the event file. Bad values come back as a message saying what to fix. */
export async function readActionsContext(env: Env, cwd: string): Promise<ContextResult> {
  const repository = readRepository(env);
  if (!repository.ok) return repository;
  const full = nonEmpty(env.GITHUB_REPOSITORY);

  const eventName = nonEmpty(env.GITHUB_EVENT_NAME);
  let pullRequest: PullRequestInfo | null = null;
  const eventPath = nonEmpty(env.GITHUB_EVENT_PATH);
  if (eventPath && (eventName === 'pull_request' || eventName === 'pull_request_target' || eventName === null)) {
    const read = await readEvent(eventPath);
    if (!read.ok) return read;
    const event = read.event as PullRequestEvent;
    const pr = event.pull_request;
    if (pr) {
      if (typeof pr.number !== 'number' || !isCommitSha(pr.base?.sha) || !isCommitSha(pr.head?.sha)) {
        return { ok: false, message: `the pull_request event in ${eventPath} lacks number, base.sha or head.sha` };
      }
      const headRepo = pr.head?.repo?.full_name;
      const baseRepo = pr.base?.repo?.full_name ?? event.repository?.full_name ?? full;
      pullRequest = {
        number: pr.number,
        baseSha: pr.base!.sha as string,
        headSha: pr.head!.sha as string,
        baseRef: nonEmpty(env.GITHUB_BASE_REF) ?? (typeof pr.base?.ref === 'string' ? pr.base.ref : null),
        // A deleted fork has no head repo; treat it as a fork.
        fromFork: typeof headRepo !== 'string' || headRepo !== baseRepo,
      };
    }
  }

  return {
    ok: true,
    context: {
      repoRoot: nonEmpty(env.GITHUB_WORKSPACE) ?? cwd,
      inActions: env.GITHUB_ACTIONS === 'true',
      eventName,
      repository: repository.repository,
      pullRequest,
      sha: pullRequest?.headSha ?? nonEmpty(env.GITHUB_SHA),
      runUrl: readRunUrl(env),
      pointersFile: nonEmpty(env.PR_CHECK_POINTERS),
    },
  };
}
