import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validationScope } from '../changed-files.ts';
import { readCommentContext } from '../comment-context.ts';
import { readActionsContext } from '../context.ts';
import { parsePointers, parsePointersFile, serializePointers } from '../pointers.ts';
import { invalidSlugs, withholdInvalid } from '../plan-withhold.ts';
import { summariseSyncOutput } from '../sync-output.ts';
import { busyPlan, plan, provider } from './plan-fixtures.ts';

const sha = (c: string) => c.repeat(40);
const dir = mkdtempSync(join(tmpdir(), 'cf-context-'));
function eventFile(payload: unknown): string {
  const file = join(dir, `event-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(payload));
  return file;
}
const prEvent = (headRepo: string | null) => ({
  pull_request: {
    number: 9,
    base: { sha: sha('a'), ref: 'main', repo: { full_name: 'acme/connectors' } },
    head: { sha: sha('b'), repo: headRepo === null ? null : { full_name: headRepo } },
  },
  repository: { full_name: 'acme/connectors' },
});

describe("pr-check's Actions context", () => {
  it('reads the pull request and the pointers file from the environment once', async () => {
    const r = await readActionsContext(
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventFile(prEvent('acme/connectors')),
        GITHUB_REPOSITORY: 'acme/connectors',
        GITHUB_WORKSPACE: '/w',
        PR_CHECK_POINTERS: '/tmp/pr.json',
      },
      '/cwd',
    );
    expect(r).toMatchObject({
      ok: true,
      context: {
        repoRoot: '/w',
        inActions: true,
        repository: { owner: 'acme', repo: 'connectors' },
        pullRequest: { number: 9, baseSha: sha('a'), headSha: sha('b'), baseRef: 'main', fromFork: false },
        sha: sha('b'),
        pointersFile: '/tmp/pr.json',
      },
    });
  });

  it('carries no token and no registry URL, whatever the environment holds (it runs the PR\'s code)', async () => {
    const r = await readActionsContext({ GITHUB_TOKEN: 'ghs_CANARY', REGISTRY_DATABASE_URL: 'postgres://u:CANARY@h/db' }, '/cwd');
    expect(r.ok).toBe(true);
    expect(JSON.stringify(r)).not.toContain('CANARY');
  });

  it('knows a fork PR, and a PR whose fork was deleted', async () => {
    for (const headRepo of ['someone/connectors', null]) {
      const r = await readActionsContext({ GITHUB_EVENT_PATH: eventFile(prEvent(headRepo)), GITHUB_EVENT_NAME: 'pull_request' }, '/');
      expect(r.ok && r.context.pullRequest?.fromFork).toBe(true);
    }
  });

  it('refuses a bad repository or event, saying what to fix', async () => {
    expect(await readActionsContext({ GITHUB_REPOSITORY: 'just-a-name' }, '/')).toMatchObject({ ok: false, message: expect.stringContaining('OWNER/REPO') });
    const bad = eventFile({ pull_request: { number: 1, base: { sha: 'main' }, head: { sha: sha('b') } } });
    expect(await readActionsContext({ GITHUB_EVENT_PATH: bad }, '/')).toMatchObject({ ok: false, message: expect.stringContaining('base.sha') });
    expect(await readActionsContext({ GITHUB_EVENT_PATH: join(dir, 'missing.json') }, '/')).toMatchObject({ ok: false, message: expect.stringContaining('GITHUB_EVENT_PATH') });
  });

  it('ignores the event payload of a non-PR event', async () => {
    const r = await readActionsContext({ GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: eventFile(prEvent('acme/connectors')) }, '/');
    expect(r.ok && r.context.pullRequest).toBeNull();
  });
});

describe("pr-comment's Actions context", () => {
  const base = { GITHUB_REPOSITORY: 'acme/connectors', GITHUB_TOKEN: 't' };
  const runEvent = (event: string, headSha: unknown) => eventFile({ workflow_run: { event, head_sha: headSha, id: 5 } });

  it('reads the token, API and server URLs, registry URL, comment author and the triggering head', async () => {
    const r = await readCommentContext(
      {
        ...base,
        GITHUB_API_URL: 'https://ghe.example/api/v3',
        GITHUB_SERVER_URL: 'https://ghe.example/',
        REGISTRY_DATABASE_URL: 'postgres://r@h/db',
        PR_COMMENT_AUTHOR: 'plan-app[bot]',
        GITHUB_EVENT_NAME: 'workflow_run',
        GITHUB_EVENT_PATH: runEvent('pull_request', sha('c')),
      },
      '/cwd',
    );
    expect(r).toMatchObject({
      ok: true,
      context: {
        repository: { owner: 'acme', repo: 'connectors' },
        token: 't',
        apiUrl: 'https://ghe.example/api/v3',
        serverUrl: 'https://ghe.example',
        registryUrl: 'postgres://r@h/db',
        commentAuthor: 'plan-app[bot]',
        triggeringHeadSha: sha('c'),
      },
    });
  });

  it('treats an empty registry secret as absent and defaults the URLs', async () => {
    const r = await readCommentContext({ ...base, REGISTRY_DATABASE_URL: '' }, '/cwd');
    expect(r).toMatchObject({ ok: true, context: { registryUrl: null, apiUrl: 'https://api.github.com', serverUrl: 'https://github.com', triggeringHeadSha: null } });
  });

  it('refuses a missing token or repository, a bad API URL, and a run that was not a PR check', async () => {
    expect(await readCommentContext({ GITHUB_REPOSITORY: 'acme/connectors' }, '/')).toMatchObject({ ok: false, message: expect.stringContaining('GITHUB_TOKEN is not set') });
    expect(await readCommentContext({ GITHUB_TOKEN: 't' }, '/')).toMatchObject({ ok: false, message: expect.stringContaining('GITHUB_REPOSITORY') });
    expect(await readCommentContext({ ...base, GITHUB_API_URL: 'api.github.com' }, '/')).toMatchObject({ ok: false, message: expect.stringContaining('GITHUB_API_URL') });
    expect(await readCommentContext({ ...base, GITHUB_EVENT_NAME: 'workflow_run', GITHUB_EVENT_PATH: runEvent('push', sha('c')) }, '/')).toMatchObject({
      ok: false,
      message: expect.stringContaining('not a pull_request one'),
    });
    expect(await readCommentContext({ ...base, GITHUB_EVENT_NAME: 'workflow_run', GITHUB_EVENT_PATH: runEvent('pull_request', 'main') }, '/')).toMatchObject({
      ok: false,
      message: expect.stringContaining('head_sha'),
    });
  });
});

describe('the PR pointers (untrusted: flags or the artifact)', () => {
  it('round-trip through the artifact file', () => {
    const pointers = { pr: 7, head: sha('b'), base: sha('a') };
    expect(parsePointersFile(serializePointers(pointers))).toEqual({ ok: true, pointers });
  });

  it.each([
    ['a PR number that is not a whole number', { pr: '7; rm -rf /', head: sha('b') }, 'PR number'],
    ['PR 0', { pr: '0', head: sha('b') }, 'PR number'],
    ['a PR number past 2^31', { pr: '99999999999', head: sha('b') }, 'PR number'],
    ['a negative PR number', { pr: -3, head: sha('b') }, 'PR number'],
    ['a short head', { pr: '7', head: 'abc123' }, 'head'],
    ['an upper-case head', { pr: '7', head: sha('B') }, 'head'],
    ['a head that is an option', { pr: '7', head: '--upload-pack=touch /tmp/x' }, 'head'],
    ['a base that is a branch name', { pr: '7', head: sha('b'), base: 'main' }, 'base'],
  ])('refuse %s', (_, raw, what) => {
    expect(parsePointers(raw)).toMatchObject({ ok: false, message: expect.stringContaining(what) });
  });

  it('refuse an artifact that is not ours: not JSON, another schema, too big; and show hostile values escaped', () => {
    expect(parsePointersFile('nope')).toMatchObject({ ok: false, message: expect.stringContaining('not JSON') });
    expect(parsePointersFile('{"schema":2,"pr":1}')).toMatchObject({ ok: false, message: expect.stringContaining('schema') });
    expect(parsePointersFile(JSON.stringify({ schema: 1, pr: 1, head: sha('b'), pad: 'x'.repeat(5000) }))).toMatchObject({ ok: false, message: expect.stringContaining('over') });
    const r = parsePointers({ pr: '\u001b[2K\u202e1', head: sha('b') });
    expect(r.ok).toBe(false);
    expect((r as { message: string }).message).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('what a PR validates', () => {
  it('the touched connector folders', () => {
    expect(validationScope(['connectors/b/manifest.yaml', 'connectors/a/server.ts', 'connectors/b/x/y.ts', 'README.md'])).toEqual({
      all: false,
      reason: 'connectors changed',
      paths: ['connectors/a', 'connectors/b'],
    });
  });

  it('everything when a catalogue or the template changes', () => {
    expect(validationScope(['connectors/a/manifest.yaml', 'pipeline/catalog/firearm-types.yaml'])).toMatchObject({ all: true, reason: 'the catalogues changed' });
    expect(validationScope(['_template/manifest.yaml'])).toMatchObject({ all: true, reason: 'the template changed' });
  });

  it('everything when the diff is unavailable', () => {
    expect(validationScope(null)).toMatchObject({ all: true });
  });
});

describe('a plan with invalid manifests', () => {
  it('does not call a registered connector retired just because its manifest is now invalid', () => {
    const p = plan([provider({ slug: 'shaky', kind: 'retired', status_before: 'approved', status_after: 'retired' }), provider({ slug: 'gone', kind: 'retired' })]);
    const errors = [{ file: 'connectors/shaky/manifest.yaml', line: 1, column: 1, path: '', code: 'unknown_field' as const, message: 'x' }];
    expect(invalidSlugs(errors)).toEqual(new Set(['shaky']));
    const out = withholdInvalid(p, errors);
    expect(out.providers.map((x) => x.slug)).toEqual(['gone']);
    expect(out.counts.providers.retired).toBe(1);
  });
});

describe('the sync summary step', () => {
  it('renders what `sync --json` printed', () => {
    const text = JSON.stringify({ plan: busyPlan(), sync_id: 3, outcome: 'applied' });
    expect(summariseSyncOutput(`some log line\n${text}\n`, sha('c'))).toContain('Applied in one transaction (sync #3)');
  });

  it('reports a sync that printed nothing or only validation errors', () => {
    expect(summariseSyncOutput(null, null)).toContain('printed no result');
    expect(summariseSyncOutput('{"ok":false,"errors":[{},{}]}', null)).toContain('2 validation error(s)');
    const refused = JSON.stringify({ ok: false, checked: 3, errors: [{ file: 'connectors/x/manifest.yaml', line: 4, column: 3, path: 'scopes', code: 'c', message: 'm' }], warnings: [] });
    expect(summariseSyncOutput(refused, null)).toContain('`connectors/x/manifest.yaml:4:3`');
    expect(summariseSyncOutput('not json', null)).toContain('not the JSON');
  });
});
