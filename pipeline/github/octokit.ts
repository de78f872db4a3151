/**
 * The one place an Octokit is built: GITHUB_API_URL (GitHub Enterprise Server answers at
 * https://HOST/api/v3), the token, and retries on rate limits and 5xx (see retry.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Octokit } from '@octokit/rest';
import { DEFAULT_RETRY_POLICY, decideRetry, type RetryPolicy } from './retry.ts';

export type GitHub = InstanceType<typeof Octokit>;

export interface GitHubOptions {
  token: string;
  /** Default https://api.github.com. */
  apiUrl?: string;
  /** Receives one line per retry; never the token. */
  log?: (line: string) => void;
  retry?: Partial<RetryPolicy>;
  /** Injected in tests so back-off does not slow them down. */
  wait?: (ms: number) => Promise<unknown>;
  /** Injected in tests. */
  now?: () => number;
}

interface HttpErrorLike {
  status?: number;
  response?: { status: number; headers: Record<string, string | number | undefined> };
}

export function createGitHub(options: GitHubOptions): GitHub {
  const policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const log = options.log ?? (() => {});
  const wait = options.wait ?? sleep;
  const now = options.now ?? Date.now;
  const quiet = () => {};
  const octokit = new Octokit({
    auth: options.token,
    baseUrl: (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    userAgent: 'connector-factory-pr-check',
    // Octokit logs every failed request as an error; the callers report failures in their own words
    // (a 403 from GET /user is how an installation token answers, not a problem), and retries are logged below.
    log: { debug: quiet, info: quiet, warn: log, error: quiet },
  });

  octokit.hook.wrap('request', async (request, requestOptions) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request(requestOptions);
      } catch (err) {
        const e = err as HttpErrorLike;
        const decision = decideRetry(
          {
            method: String(requestOptions.method),
            status: e.response ? e.response.status : undefined,
            headers: e.response?.headers ?? {},
            attempt,
            now: now(),
          },
          policy,
        );
        if (!decision.retry) {
          if (attempt > 0 || decision.why.includes('rate limit')) log(`GitHub API ${requestOptions.method} ${requestOptions.url}: ${decision.why}`);
          throw err;
        }
        log(`GitHub API ${requestOptions.method} ${requestOptions.url}: ${decision.why}; retrying in ${Math.round(decision.delayMs / 100) / 10} s`);
        await wait(decision.delayMs);
      }
    }
  });
  return octokit;
}
