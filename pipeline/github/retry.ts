/**
 * When and how long to wait before retrying a GitHub API request.
 *
 * Why a small function instead of @octokit/plugin-retry + plugin-throttling: a pr-check makes a
 * handful of requests, so a queue (bottleneck) buys nothing; what matters is honouring GitHub's
 * own signals (retry-after on secondary limits and 429, x-ratelimit-reset on the primary limit),
 * backing off on 5xx, and never re-sending a POST that may have landed (a duplicate comment).
 * This decision is pure, so every branch is tested without waiting.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. Default 3. */
  retries: number;
  /** First back-off for 5xx and network errors, doubled each time. Default 1000 ms. */
  baseDelayMs: number;
  /** The longest wait we accept; a longer rate-limit reset fails now with a clear message. Default 60 s. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };

/** What we know about a failed attempt. */
export interface FailedAttempt {
  method: string;
  /** HTTP status; undefined for a network error (no response). */
  status: number | undefined;
  headers: Record<string, string | number | undefined>;
  /** 0 for the first retry. */
  attempt: number;
  /** Current time in epoch ms (x-ratelimit-reset is an epoch second). */
  now: number;
}

export type RetryDecision = { retry: true; delayMs: number; why: string } | { retry: false; why: string };

function header(headers: FailedAttempt['headers'], name: string): string | undefined {
  const v = headers[name];
  return v === undefined ? undefined : String(v);
}

export function decideRetry(failed: FailedAttempt, policy: RetryPolicy = DEFAULT_RETRY_POLICY): RetryDecision {
  const { status, headers, attempt, now } = failed;
  if (attempt >= policy.retries) return { retry: false, why: `gave up after ${policy.retries} retries` };

  const retryAfter = header(headers, 'retry-after');
  const remaining = header(headers, 'x-ratelimit-remaining');
  const reset = header(headers, 'x-ratelimit-reset');
  const rateLimited = status === 429 || (status === 403 && (retryAfter !== undefined || remaining === '0'));

  if (rateLimited) {
    // The request was refused, not processed, so even a POST is safe to send again.
    let delayMs = 60_000;
    let why = 'secondary rate limit';
    if (retryAfter !== undefined && /^\d+$/.test(retryAfter)) delayMs = Number(retryAfter) * 1000;
    else if (remaining === '0' && reset !== undefined && /^\d+$/.test(reset)) {
      delayMs = Math.max(0, Number(reset) * 1000 - now) + 1000;
      why = 'rate limit exhausted';
    }
    if (delayMs > policy.maxDelayMs) {
      return { retry: false, why: `${why}: GitHub asks to wait ${Math.ceil(delayMs / 1000)} s, longer than ${policy.maxDelayMs / 1000} s` };
    }
    return { retry: true, delayMs, why };
  }

  const serverError = status === undefined || (status >= 500 && status <= 599);
  if (serverError) {
    // A POST that failed with 5xx may have been applied; the caller decides (see comment.ts).
    if (failed.method.toUpperCase() === 'POST') return { retry: false, why: 'POST is not retried blindly' };
    return { retry: true, delayMs: Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt), why: status ? `HTTP ${status}` : 'network error' };
  }
  return { retry: false, why: `HTTP ${status} is not transient` };
}
