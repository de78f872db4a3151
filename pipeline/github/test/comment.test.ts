import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upsertStickyComment } from '../comment.ts';
import { createGitHub } from '../octokit.ts';
import { COMMENT_MARKER } from '../report.ts';
import { startFakeGitHub, type FakeGitHub } from './fake-github.ts';

const TOKEN = 'ghs_canaryTokenValue0123456789';
const target = { owner: 'acme', repo: 'connectors', issueNumber: 7 };
const body = (n: number) => `${COMMENT_MARKER}\n\nplan ${n}\n`;

let gh: FakeGitHub;
let waits: number[];
const logs: string[] = [];
const client = () =>
  createGitHub({ token: TOKEN, apiUrl: gh.url, log: (l) => logs.push(l), wait: async (ms) => void waits.push(ms) });

beforeEach(async () => {
  gh = await startFakeGitHub();
  waits = [];
  logs.length = 0;
});
afterEach(async () => {
  await gh.close();
});

describe('the sticky comment', () => {
  it('is created once, then updated in place, never duplicated', async () => {
    const first = await upsertStickyComment(client(), target, body(1));
    const second = await upsertStickyComment(client(), target, body(2));
    expect(first.status).toBe('created');
    expect(second).toMatchObject({ status: 'updated', id: (first as { id: number }).id });
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body).toBe(body(2));
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('is found on a later page of a long conversation', async () => {
    for (let i = 0; i < 230; i++) gh.comments.push({ id: i + 1, body: `chatter ${i}`, user: { login: 'dev', type: 'User' } });
    gh.comments.splice(180, 0, { id: 9999, body: body(0), user: { login: 'github-actions[bot]', type: 'Bot' } });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result).toMatchObject({ status: 'updated', id: 9999 });
    const pages = gh.requests.filter((r) => r.method === 'GET').map((r) => r.query.page ?? '1');
    expect(pages).toEqual(['1', '2', '3']);
    expect(gh.requests.every((r) => r.method !== 'GET' || r.query.per_page === '100')).toBe(true);
  });

  it("never takes over a human's comment that quotes the marker", async () => {
    gh.comments.push({ id: 5, body: body(0), user: { login: 'mallory', type: 'User' } });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result.status).toBe('created');
    expect(gh.comments.find((c) => c.id === 5)!.body).toBe(body(0));
  });

  it.each([403, 404])('is skipped, not failed, when GitHub answers %i (fork PR, read-only token)', async (status) => {
    gh.denyWith = status;
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result).toMatchObject({ status: 'skipped', reason: expect.stringContaining(String(status)) });
    expect(gh.comments).toHaveLength(0);
  });

  it('sends the token only in the Authorization header', async () => {
    await upsertStickyComment(client(), target, body(1));
    expect(gh.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    expect(JSON.stringify(gh.requests.map((r) => [r.path, r.query, r.body]))).not.toContain(TOKEN);
    expect(logs.join('\n')).not.toContain(TOKEN);
  });

  it('honours a GitHub Enterprise API URL (https://HOST/api/v3)', async () => {
    await gh.close();
    gh = await startFakeGitHub({ prefix: '/api/v3' });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result.status).toBe('created');
    expect(gh.requests.every((r) => r.path.startsWith('/api/v3/repos/acme/connectors/'))).toBe(true);
  });
});

describe('retries', () => {
  it('retry a 502 on a read with back-off', async () => {
    gh.script.push({ method: 'GET', status: 502 }, { method: 'GET', status: 503 });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result.status).toBe('created');
    expect(waits).toEqual([1000, 2000]);
  });

  it('wait as long as a secondary rate limit asks (retry-after), even for a POST', async () => {
    gh.script.push({ method: 'POST', status: 403, headers: { 'retry-after': '7' } });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result.status).toBe('created');
    expect(waits).toEqual([7000]);
    expect(gh.comments).toHaveLength(1);
  });

  it('wait for an exhausted primary rate limit to reset (x-ratelimit-reset)', async () => {
    const resetIn = 20;
    gh.script.push({
      method: 'GET',
      status: 403,
      headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + resetIn) },
    });
    await upsertStickyComment(client(), target, body(1));
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThan((resetIn - 2) * 1000);
    expect(waits[0]).toBeLessThanOrEqual((resetIn + 1) * 1000);
  });

  it('never leave two comments when a create lands but answers 502', async () => {
    gh.script.push({ method: 'POST', status: 502, apply: true });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result.status).toBe('created');
    expect(gh.comments).toHaveLength(1);
    expect(gh.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('give up with the error after three retries', async () => {
    gh.script.push(...Array.from({ length: 4 }, () => ({ method: 'GET', status: 500 })));
    await expect(upsertStickyComment(client(), target, body(1))).rejects.toMatchObject({ status: 500 });
    expect(waits).toEqual([1000, 2000, 4000]);
  });
});
