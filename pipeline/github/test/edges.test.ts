import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validationScope } from '../changed-files.ts';
import { readActionsContext } from '../context.ts';
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

describe('the Actions context', () => {
  it('reads the pull request, token, API URL and registry from the environment once', async () => {
    const r = await readActionsContext(
      {
        GITHUB_ACTIONS: 'true',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventFile(prEvent('acme/connectors')),
        GITHUB_REPOSITORY: 'acme/connectors',
        GITHUB_TOKEN: 't',
        GITHUB_API_URL: 'https://ghe.example/api/v3',
        GITHUB_WORKSPACE: '/w',
        REGISTRY_DATABASE_URL: 'postgres://r@h/db',
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
        apiUrl: 'https://ghe.example/api/v3',
        registryUrl: 'postgres://r@h/db',
        sha: sha('b'),
      },
    });
  });

  it('treats an empty secret as absent (fork PRs get empty strings) and defaults the API URL', async () => {
    const r = await readActionsContext({ GITHUB_TOKEN: '', REGISTRY_DATABASE_URL: '' }, '/cwd');
    expect(r).toMatchObject({ ok: true, context: { token: null, registryUrl: null, apiUrl: 'https://api.github.com', repoRoot: '/cwd', pullRequest: null } });
  });

  it('knows a fork PR, and a PR whose fork was deleted', async () => {
    for (const headRepo of ['someone/connectors', null]) {
      const r = await readActionsContext({ GITHUB_EVENT_PATH: eventFile(prEvent(headRepo)), GITHUB_EVENT_NAME: 'pull_request' }, '/');
      expect(r.ok && r.context.pullRequest?.fromFork).toBe(true);
    }
  });

  it('refuses a bad API URL, repository or event, saying what to fix', async () => {
    expect(await readActionsContext({ GITHUB_API_URL: 'api.github.com' }, '/')).toMatchObject({ ok: false, message: expect.stringContaining('GITHUB_API_URL') });
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
    const errors = [{ file: 'connectors/shaky/manifest.yaml', line: 1, column: 1, path: '', code: 'x', message: 'x' }];
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
    expect(summariseSyncOutput(refused, null)).toContain('<code>connectors/x/manifest.yaml:4:3</code>');
    expect(summariseSyncOutput('not json', null)).toContain('not the JSON');
  });
});
