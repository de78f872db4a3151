import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, decideRetry, type FailedAttempt } from '../retry.ts';

const now = 1_700_000_000_000;
const failed = (f: Partial<FailedAttempt>): FailedAttempt => ({ method: 'GET', status: 500, headers: {}, attempt: 0, now, ...f });

describe('decideRetry', () => {
  it('backs off exponentially on 5xx and network errors', () => {
    expect(decideRetry(failed({ status: 502, attempt: 0 }))).toMatchObject({ retry: true, delayMs: 1000 });
    expect(decideRetry(failed({ status: 503, attempt: 2 }))).toMatchObject({ retry: true, delayMs: 4000 });
    expect(decideRetry(failed({ status: undefined, attempt: 1 }))).toMatchObject({ retry: true, delayMs: 2000, why: 'network error' });
  });

  it('does not re-send a POST after a 5xx (it may have landed)', () => {
    expect(decideRetry(failed({ method: 'POST', status: 502 }))).toMatchObject({ retry: false });
  });

  it('honours retry-after on a secondary rate limit (403) and on 429', () => {
    expect(decideRetry(failed({ status: 403, headers: { 'retry-after': '30' } }))).toMatchObject({ retry: true, delayMs: 30_000 });
    expect(decideRetry(failed({ method: 'POST', status: 429, headers: { 'retry-after': '2' } }))).toMatchObject({ retry: true, delayMs: 2000 });
  });

  it('waits until x-ratelimit-reset when the primary limit is exhausted', () => {
    const reset = String(now / 1000 + 10);
    expect(decideRetry(failed({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } }))).toMatchObject({
      retry: true,
      delayMs: 11_000,
    });
  });

  it('fails now, saying why, rather than wait longer than the policy allows', () => {
    const reset = String(now / 1000 + 3600);
    const d = decideRetry(failed({ status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': reset } }));
    expect(d).toMatchObject({ retry: false, why: expect.stringContaining('3601 s') });
  });

  it('does not retry a plain 403, 404 or 422: they are answers, not accidents', () => {
    for (const status of [401, 403, 404, 422]) expect(decideRetry(failed({ status })).retry).toBe(false);
  });

  it('stops after the policy\'s retries', () => {
    expect(decideRetry(failed({ attempt: DEFAULT_RETRY_POLICY.retries }))).toMatchObject({ retry: false });
  });
});
