/**
 * `npm run connectors -- pr-check` run as the `pull_request` job runs it: a real git checkout with
 * a base and a head commit, a pull_request event file, the runner's summary and output files. The
 * job runs the PR's own code, so it gets no secret and writes nothing on GitHub: even handed a
 * token and a registry URL, it never calls the API and never connects to the registry.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUMMARY_LIMIT_BYTES } from '../fit.ts';
import { parsePointersFile } from '../pointers.ts';
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

const TOKEN = 'ghs_CANARY_token_must_never_be_used';
const DB_PASSWORD = 'CANARY_db_password_never_used';

let repo: GitRepo;
let gh: FakeGitHub;
let registry: Server;
let registryConnections = 0;
let registryUrl: string;
let base: string;
let head: string;
let fixed: string;
let hostile: string;
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
  // Text that a terminal or the runner would obey: ESC codes and a bidi override in a field name,
  // and a folder name holding the separators of workflow command properties.
  repo.write({
    'connectors/armory/manifest.yaml': ARMORY.replace('kpis:', '"x\\e[2K\\r\\u202e%0A::warning::forged,a:b": 1\nkpis:'),
    'connectors/a,b:c/manifest.yaml': ALPHA,
  });
  hostile = repo.commit('hostile: control characters and property separators');
  repo.git('checkout', '-q', head);
  gh = await startFakeGitHub({ owner: 'acme', repo: 'connectors' });
  // Stands where a registry would answer: any connection is counted, none is answered.
  registry = createServer((socket) => {
    registryConnections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => registry.listen(0, '127.0.0.1', resolve));
  registryUrl = `postgres://reader:${DB_PASSWORD}@127.0.0.1:${(registry.address() as { port: number }).port}/registry`;
  scratch = mkdtempSync(join(tmpdir(), 'cf-pr-check-runner-'));
});

afterAll(async () => {
  await gh?.close();
  await new Promise((resolve) => registry?.close(resolve));
  repo?.cleanup();
});

let runNo = 0;
/** One workflow run: fresh summary and output files, the event of this head, a token and a registry URL it must ignore. */
async function prCheck(headSha: string, options: { summaryBefore?: string } = {}) {
  runNo += 1;
  repo.git('checkout', '-q', headSha);
  const event = join(scratch, `event-${runNo}.json`);
  const summary = join(scratch, `summary-${runNo}.md`);
  const output = join(scratch, `output-${runNo}.txt`);
  const pointers = join(scratch, `pointers-${runNo}`, 'pr.json');
  writeFileSync(summary, options.summaryBefore ?? '');
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
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    PR_CHECK_POINTERS: pointers,
    // Neither is given to the real job; here they prove pr-check would not use them if they were.
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: gh.url,
    REGISTRY_DATABASE_URL: registryUrl,
    DATABASE_URL: registryUrl,
  });
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const everything = result.stdout + result.stderr + read(summary) + read(output);
  return { ...result, summary: read(summary), outputs: readOutputs(output), pointers: read(pointers), everything };
}

describe('pr-check in a pull_request workflow', () => {
  let first: Awaited<ReturnType<typeof prCheck>>;
  beforeAll(async () => {
    first = await prCheck(head);
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
    expect(first.summary).toContain('`connectors/armory`, `connectors/broken`');
    expect(first.stdout).not.toContain('connectors/alpha');
  });

  it('writes a job summary with the plan table, the new firearm scope and the problems', () => {
    expect(first.summary).toContain('## Connector check');
    expect(first.summary).toMatch(/🚨 NEW FIREARM SCOPES[^\n]*\(1\)/);
    expect(first.summary).toContain('| `armory` | `place_order` | `INVENTORY_ORDER` | new scope |');
    expect(first.summary).toContain(`\`connectors/broken/manifest.yaml:${BROKEN_ERROR_LINE}:`);
  });

  it('plans against an empty registry on purpose and says the real plan is in the PR comment', () => {
    expect(first.summary).toContain("Planned against **an empty registry**, so every connector shows as added: this check runs the PR's own code");
    expect(first.summary).toContain('The plan against the registry is in the PR comment');
    expect(first.outputs.against_empty_registry).toBe('true');
  });

  it('never connects to the registry and never calls the GitHub API, though both were in its environment', () => {
    expect(registryConnections).toBe(0);
    expect(gh.requests).toEqual([]);
    expect(first.everything).not.toContain(TOKEN);
    expect(first.everything).not.toContain(DB_PASSWORD);
  });

  it('sets the step outputs, with nothing about a comment (it writes none)', () => {
    expect(first.outputs).toMatchObject({
      valid: 'false',
      errors: '1',
      warnings: '1',
      providers_added: '2',
      new_firearm_scopes: '1',
      keys_to_set: '2',
      kpi_mappings_to_approve: '2',
      against_empty_registry: 'true',
    });
    expect(first.outputs).not.toHaveProperty('comment');
  });

  it('saves the PR pointers for pr-comment: the PR number, head and base, nothing else', () => {
    expect(parsePointersFile(first.pointers)).toEqual({ ok: true, pointers: { pr: 7, head, base } });
    expect(JSON.parse(first.pointers)).toEqual({ schema: 1, pr: 7, head, base });
  });
});

describe('pr-check annotations of hostile text', () => {
  it('show control and bidi characters escaped and escape the property separators, so no line is a second command', async () => {
    const run = await prCheck(hostile);
    expect(run.code).toBe(1);
    expect(run.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    const commands = run.stdout.split('\n').filter((l) => l.startsWith('::'));
    // Every workflow command line is one of ours: an error or warning with file, line, col and title.
    for (const line of commands) expect(line).toMatch(/^::(error|warning|notice) (file=[^,:]*,line=\d+,col=\d+,title=[^,:]*)?::/);
    const field = commands.find((l) => l.includes('unknown_field'))!;
    expect(field).toContain('\\x1b[2K\\x0d\\u202e%250A::warning::forged,a:b');
    const folder = commands.find((l) => l.includes('file=connectors/a%2Cb%3Ac'));
    expect(folder, commands.join('\n')).toBeDefined();
  });
});

describe('pr-check job summary', () => {
  it("stays under GitHub's 1 MiB with what the step wrote before, cut with a note", async () => {
    const before = `${'x'.repeat(99)}\n`.repeat(9_800);
    const run = await prCheck(head, { summaryBefore: before });
    expect(run.code).toBe(1);
    expect(Buffer.byteLength(run.summary)).toBeLessThanOrEqual(SUMMARY_LIMIT_BYTES);
    expect(run.summary.startsWith(`${before}## Connector check`)).toBe(true);
    expect(run.summary).toContain('This summary was cut here: GitHub shows at most 1 MiB of a step summary');
  });

  it('writes nothing, and says so, when the step already filled it', async () => {
    const before = `${'x'.repeat(99)}\n`.repeat(10_000);
    const run = await prCheck(head, { summaryBefore: before });
    expect(run.summary).toBe(before);
    expect(run.stdout).toMatch(/^::warning::The job summary was not written: this step already filled the 1 MiB/m);
  });
});

describe('pr-check on a valid head', () => {
  it('succeeds (exit 0) with no problem', async () => {
    const run = await prCheck(fixed);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.outputs).toMatchObject({ valid: 'true' });
    expect(run.summary).toContain('✅ Valid');
  });
});
