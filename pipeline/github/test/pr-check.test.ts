/**
 * `npm run connectors -- pr-check` run as GitHub runs it: a real git checkout with a base and a
 * head commit, a pull_request event file, the runner's summary and output files, and the REST
 * API served by a local server that records every request.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENT_MARKER } from '../report.ts';
import { startFakeGitHub, type FakeGitHub } from './fake-github.ts';
import {
  ALPHA,
  ARMORY,
  BROKEN,
  BROKEN_ERROR_LINE,
  BROKEN_WARNING_LINE,
  CORE_KPIS,
  createRepo,
  FIREARM_TYPES,
  readOutputs,
  runCli,
  type GitRepo,
} from './git-fixture.ts';

const TOKEN = 'ghs_CANARY_token_must_never_be_printed';
const DB_PASSWORD = 'CANARY_db_password_never_printed';

let repo: GitRepo;
let gh: FakeGitHub;
let base: string;
let head: string;
let fixed: string;
let scratch: string;

beforeAll(async () => {
  repo = createRepo();
  repo.write({
    'pipeline/catalog/firearm-types.yaml': FIREARM_TYPES,
    'pipeline/catalog/core-kpis.yaml': CORE_KPIS,
    'connectors/alpha/manifest.yaml': ALPHA,
  });
  base = repo.commit('base: one valid connector');
  repo.git('checkout', '-q', '-b', 'add-connectors');
  repo.write({ 'connectors/broken/manifest.yaml': BROKEN, 'connectors/armory/manifest.yaml': ARMORY });
  head = repo.commit('head: a broken manifest and one with a new firearm scope');
  repo.write({ 'connectors/broken': null });
  fixed = repo.commit('fix: drop the broken connector');
  repo.git('checkout', '-q', head);
  gh = await startFakeGitHub({ owner: 'acme', repo: 'connectors' });
  scratch = mkdtempSync(join(tmpdir(), 'cf-pr-check-runner-'));
});

afterAll(async () => {
  await gh?.close();
  repo?.cleanup();
});

let runNo = 0;
/** One workflow run: fresh summary and output files, the event of this head. */
async function prCheck(headSha: string, extraEnv: Record<string, string> = {}) {
  runNo += 1;
  repo.git('checkout', '-q', headSha);
  const event = join(scratch, `event-${runNo}.json`);
  const summary = join(scratch, `summary-${runNo}.md`);
  const output = join(scratch, `output-${runNo}.txt`);
  writeFileSync(summary, '');
  writeFileSync(output, '');
  writeFileSync(
    event,
    JSON.stringify({
      action: 'synchronize',
      number: 7,
      pull_request: {
        number: 7,
        base: { sha: base, ref: 'main', repo: { full_name: 'acme/connectors' } },
        head: { sha: headSha, ref: 'add-connectors', repo: { full_name: 'acme/connectors' } },
      },
      repository: { full_name: 'acme/connectors' },
    }),
  );
  const result = await runCli(['pr-check'], repo.root, {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: event,
    GITHUB_WORKSPACE: repo.root,
    GITHUB_REPOSITORY: 'acme/connectors',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '4242',
    GITHUB_SHA: headSha,
    GITHUB_BASE_REF: 'main',
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: gh.url,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    ...extraEnv,
  });
  const everything = result.stdout + result.stderr + readFileSync(summary, 'utf8') + readFileSync(output, 'utf8');
  return { ...result, summary: readFileSync(summary, 'utf8'), outputs: readOutputs(output), everything };
}

describe('pr-check in a pull_request workflow', () => {
  let first: Awaited<ReturnType<typeof prCheck>>;
  let second: Awaited<ReturnType<typeof prCheck>>;
  beforeAll(async () => {
    first = await prCheck(head);
    second = await prCheck(head);
  });

  it('fails the check (exit 1) when a touched manifest has errors', () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(1);
  });

  it('annotates the error and the warning on their exact lines', () => {
    const lines = first.stdout.split('\n');
    const errors = lines.filter((l) => l.startsWith('::error '));
    const warnings = lines.filter((l) => l.startsWith('::warning '));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^::error file=connectors/broken/manifest.yaml,line=${BROKEN_ERROR_LINE},col=\\d+,title=[^:]*firearm_type[^:]*::`));
    expect(errors[0]).toContain('REFUND_ISSUE');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(new RegExp(`^::warning file=connectors/broken/manifest.yaml,line=${BROKEN_WARNING_LINE},col=\\d+,`));
  });

  it('validates only the touched connectors', () => {
    expect(first.summary).toContain('<code>connectors/armory</code>, <code>connectors/broken</code>');
    expect(first.stdout).not.toContain('connectors/alpha');
  });

  it('writes a job summary with the plan table, the new firearm scope and the problems', () => {
    expect(first.summary).toContain('## Connector check');
    expect(first.summary).toContain('| Connectors | +2 added, ~0 changed, 0 retired, 0 revived, 0 unchanged |');
    expect(first.summary).toMatch(/🚨 NEW FIREARM SCOPES[^\n]*\(1\)/);
    expect(first.summary).toContain('| <code>armory</code> | <code>place_order</code> | <code>INVENTORY_ORDER</code> | new scope |');
    expect(first.summary).toContain(`<code>connectors/broken/manifest.yaml:${BROKEN_ERROR_LINE}:`);
    expect(first.summary).toContain('Planned against **an empty registry**');
  });

  it('sets the step outputs', () => {
    expect(first.outputs).toMatchObject({
      valid: 'false',
      errors: '1',
      warnings: '1',
      providers_added: '2',
      new_firearm_scopes: '1',
      keys_to_set: '2',
      kpi_mappings_to_approve: '2',
      against_empty_registry: 'true',
      comment: 'created',
    });
  });

  it('creates exactly one comment on the first run and updates that same comment on the second', () => {
    const posts = gh.requests.filter((r) => r.method === 'POST');
    const patches = gh.requests.filter((r) => r.method === 'PATCH');
    expect(posts).toHaveLength(1);
    expect(posts[0]!.path).toBe('/repos/acme/connectors/issues/7/comments');
    expect(patches).toHaveLength(1);
    expect(patches[0]!.path).toBe(`/repos/acme/connectors/issues/comments/${gh.comments[0]!.id}`);
    expect(gh.comments).toHaveLength(1);
    expect(second.outputs.comment).toBe('updated');
    expect(second.outputs.comment_url).toBe(first.outputs.comment_url);
  });

  it('puts the plan in the comment, behind the hidden marker', () => {
    const body = gh.comments[0]!.body;
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain('🚨 NEW FIREARM SCOPES');
    expect(body).toContain('<code>PROVIDER_ARMORY_API_TOKEN</code> | API token | required');
    expect(body).toContain('<code>revenue</code> | <code>net_sales</code> | sum | new');
    expect(body).toContain('[workflow run](https://github.example/acme/connectors/actions/runs/4242)');
  });

  it('never prints the token', () => {
    expect(first.everything + second.everything + JSON.stringify(gh.requests.map((r) => r.body))).not.toContain(TOKEN);
  });
});

describe('pr-check when GitHub refuses the comment (fork PR, read-only token)', () => {
  it('prints a notice and succeeds', async () => {
    gh.denyWith = 403;
    try {
      const run = await prCheck(fixed);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^::notice::PR comment skipped: GitHub answered 403/m);
      expect(run.outputs).toMatchObject({ valid: 'true', comment: 'skipped' });
      expect(run.summary).toContain('✅ Valid');
    } finally {
      gh.denyWith = null;
    }
  });

  it('prints a notice and succeeds without any token', async () => {
    const run = await prCheck(fixed, { GITHUB_TOKEN: '' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^::notice::PR comment skipped: no GITHUB_TOKEN/m);
  });
});

describe('pr-check with a registry it cannot reach', () => {
  it('says there is no plan, keeps the annotations, and never shows the connection string', async () => {
    const url = `postgres://reader:${DB_PASSWORD}@127.0.0.1:9/registry`;
    const run = await prCheck(fixed, { REGISTRY_DATABASE_URL: url });
    expect(run.code).toBe(0);
    expect(run.summary).toContain('**No plan**: the registry could not be read');
    expect(run.stdout).toMatch(/^::warning::No registry plan: the registry could not be read/m);
    expect(run.outputs.planned).toBe('false');
    expect(run.everything + gh.comments.map((c) => c.body).join('')).not.toContain(DB_PASSWORD);
  });
});
