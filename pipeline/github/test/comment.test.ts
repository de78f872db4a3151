import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { upsertStickyComment as upsert } from '../comment.ts';
import { ACTIONS_BOT_LOGIN, resolveIdentity, type CommentIdentity } from '../identity.ts';
import { createGitHub } from '../octokit.ts';
import { COMMENT_MARKER } from '../report.ts';
import { ACTIONS_BOT, startFakeGitHub, type FakeGitHub } from './fake-github.ts';

/** The Actions job token's identity, as resolveIdentity finds it (GET /user answers 403). */
const actions: CommentIdentity = { login: ACTIONS_BOT_LOGIN, id: null, source: 'actions-default' };
const upsertStickyComment = (gh: Parameters<typeof upsert>[0], t: Parameters<typeof upsert>[1], b: string) => upsert(gh, t, b, actions);

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
    for (let i = 0; i < 230; i++) gh.comments.push({ id: i + 1, body: `chatter ${i}`, user: { login: 'dev', id: 5, type: 'User' } });
    gh.comments.splice(180, 0, { id: 9999, body: body(0), user: ACTIONS_BOT });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result).toMatchObject({ status: 'updated', id: 9999 });
    const pages = gh.requests.filter((r) => r.method === 'GET').map((r) => r.query.page ?? '1');
    expect(pages).toEqual(['1', '2', '3']);
    expect(gh.requests.every((r) => r.method !== 'GET' || r.query.per_page === '100')).toBe(true);
  });

  it("never takes over a human's comment that quotes the marker", async () => {
    gh.comments.push({ id: 5, body: body(0), user: { login: 'mallory', id: 66, type: 'User' } });
    const result = await upsertStickyComment(client(), target, body(1));
    expect(result.status).toBe('created');
    expect(gh.comments.find((c) => c.id === 5)!.body).toBe(body(0));
  });

  it("never takes over another bot's comment that carries the marker, and updates our own after it", async () => {
    gh.comments.push({ id: 5, body: body(0), user: { login: 'evil-helper[bot]', id: 777, type: 'Bot' } });
    const first = await upsertStickyComment(client(), target, body(1));
    expect(first.status).toBe('created');
    const second = await upsertStickyComment(client(), target, body(2));
    expect(second).toMatchObject({ status: 'updated', id: (first as { id: number }).id });
    expect(gh.comments.find((c) => c.id === 5)!.body).toBe(body(0));
    expect(gh.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([`/repos/acme/connectors/issues/comments/${(first as { id: number }).id}`]);
  });

  it("with a personal token, matches the token's login and id: a namesake with another id is not ours", async () => {
    gh.tokenKind = 'user';
    gh.identity = { login: 'plan-robot', id: 4242, type: 'User' };
    const identity = await resolveIdentity(client(), null);
    expect(identity).toEqual({ ok: true, identity: { login: 'plan-robot', id: 4242, source: 'token' } });
    gh.comments.push({ id: 5, body: body(0), user: { login: 'Plan-Robot', id: 9, type: 'User' } }, { id: 6, body: body(0), user: { login: 'Plan-Robot', id: 4242, type: 'User' } });
    const result = await upsert(client(), target, body(1), (identity as { identity: CommentIdentity }).identity);
    expect(result).toMatchObject({ status: 'updated', id: 6 });
    expect(gh.comments.find((c) => c.id === 5)!.body).toBe(body(0));
  });

  it.each([403, 404])('is skipped, not failed, when GitHub answers %i (no pull-requests: write, PR gone)', async (status) => {
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

describe("the token's identity", () => {
  it('is github-actions[bot] for the Actions job token, whose GET /user answers 403', async () => {
    expect(await resolveIdentity(client(), null)).toEqual({ ok: true, identity: actions });
    expect(gh.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /user']);
  });

  it("is the configured bot login (PR_COMMENT_AUTHOR) for a GitHub App's installation token", async () => {
    expect(await resolveIdentity(client(), 'plan-app[bot]')).toEqual({ ok: true, identity: { login: 'plan-app[bot]', id: null, source: 'configured' } });
  });

  it('refuses a configured login that the token contradicts', async () => {
    gh.tokenKind = 'user';
    gh.identity = { login: 'someone', id: 1, type: 'User' };
    expect(await resolveIdentity(client(), 'plan-app[bot]')).toMatchObject({ ok: false, message: expect.stringContaining('belongs to "someone"') });
  });

  it('fails with a message, not a guess, when GitHub refuses the token (401)', async () => {
    gh.script.push({ method: 'GET', status: 401 });
    expect(await resolveIdentity(client(), null)).toMatchObject({ ok: false, message: expect.stringContaining('answered 401') });
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
