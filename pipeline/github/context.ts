/**
 * Everything pr-check takes from GitHub Actions, read once at the edge: the environment and the
 * event payload. The rest of pipeline/github receives this value and never reads process.env.
 */
import { readFile } from 'node:fs/promises';

export interface PullRequestInfo {
  number: number;
  baseSha: string;
  headSha: string;
  baseRef: string | null;
  /** The head branch lives in another repository: the token is read-only and secrets are absent. */
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
  /** GITHUB_TOKEN; null when absent. Never printed. */
  token: string | null;
  /** GITHUB_API_URL, default https://api.github.com (GitHub Enterprise Server: https://HOST/api/v3). */
  apiUrl: string;
  /** GITHUB_SHA, or the PR head. */
  sha: string | null;
  /** The run's page, for the comment footer. */
  runUrl: string | null;
  /** REGISTRY_DATABASE_URL (read-only role); null when absent or empty, as on fork PRs. Never printed. */
  registryUrl: string | null;
}

export type ContextResult = { ok: true; context: ActionsContext } | { ok: false; message: string };

type Env = Record<string, string | undefined>;
const nonEmpty = (v: string | undefined) => (v && v.trim() ? v.trim() : null);
const isSha = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(v);

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
  const apiUrl = nonEmpty(env.GITHUB_API_URL) ?? 'https://api.github.com';
  if (!/^https?:\/\/[^/\s]+/.test(apiUrl)) {
    return { ok: false, message: `GITHUB_API_URL must be an http(s) URL such as https://api.github.com or https://HOST/api/v3, got "${apiUrl}"` };
  }
  const full = nonEmpty(env.GITHUB_REPOSITORY);
  const [owner, repo, ...extra] = (full ?? '').split('/');
  if (full && (!owner || !repo || extra.length)) return { ok: false, message: `GITHUB_REPOSITORY must be OWNER/REPO, got "${full}"` };

  const eventName = nonEmpty(env.GITHUB_EVENT_NAME);
  let pullRequest: PullRequestInfo | null = null;
  const eventPath = nonEmpty(env.GITHUB_EVENT_PATH);
  if (eventPath && (eventName === 'pull_request' || eventName === 'pull_request_target' || eventName === null)) {
    let event: PullRequestEvent;
    try {
      event = JSON.parse(await readFile(eventPath, 'utf8')) as PullRequestEvent;
    } catch (err) {
      return { ok: false, message: `cannot read the event payload GITHUB_EVENT_PATH=${eventPath}: ${(err as Error).message}` };
    }
    const pr = event.pull_request;
    if (pr) {
      if (typeof pr.number !== 'number' || !isSha(pr.base?.sha) || !isSha(pr.head?.sha)) {
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

  const server = nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com';
  const runId = nonEmpty(env.GITHUB_RUN_ID);
  return {
    ok: true,
    context: {
      repoRoot: nonEmpty(env.GITHUB_WORKSPACE) ?? cwd,
      inActions: env.GITHUB_ACTIONS === 'true',
      eventName,
      repository: owner && repo ? { owner, repo } : null,
      pullRequest,
      token: nonEmpty(env.GITHUB_TOKEN),
      apiUrl,
      sha: pullRequest?.headSha ?? nonEmpty(env.GITHUB_SHA),
      runUrl: full && runId ? `${server}/${full}/actions/runs/${runId}` : null,
      registryUrl: nonEmpty(env.REGISTRY_DATABASE_URL),
    },
  };
}
