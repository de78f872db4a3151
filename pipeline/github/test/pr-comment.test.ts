/**
 * `npm run connectors -- pr-comment` run as the `workflow_run` job runs it: the default branch
 * checked out (a clone of an "origin" repository holding the PR's commits and refs/pull/N/head),
 * the pointers pr-check saved passed as flags, the triggering run's event, and the REST API
 * served by a local server that records every request.
 *
 * The PR head is hostile: a package.json whose install scripts, a connector whose code, and a
 * validator and CLI of its own would each create a marker file if anything ran them. pr-comment
 * reads the head as data only, so the marker never appears.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeControl } from '../../validate/terminal-text.ts';
import { COMMENT_MARKER } from '../report.ts';
import { startFakeGitHub, type FakeGitHub } from './fake-github.ts';
import { meaning } from './markdown-meaning.ts';
import { ALPHA, BROKEN, CORE_KPIS, createRepo, FIREARM_TYPES, readOutputs, runCli, type GitRepo } from './git-fixture.ts';

const TOKEN = 'ghs_CANARY_token_only_in_the_authorization_header';
const SECRET_FILE_TEXT = 'CANARY_secret_file_outside_the_repository';

let origin: GitRepo;
let checkout: GitRepo;
let gh: FakeGitHub;
let scratch: string;
let marker: string;
let secretFile: string;
let base: string;
let evilHead: string;
let linkHead: string;

/** Creates `marker` when run by node, as a script, an install hook or an import. */
const plant = (m: string) => `require('node:fs').writeFileSync(${JSON.stringify(m)}, 'ran: ' + __filename);`;
const plantEsm = (m: string) => `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(m)}, 'ran: ' + import.meta.url);\nexport const validateRepo = async () => ({ ok: true, checked: 0, errors: [], warnings: [], connectors: [], catalog: { firearm_types: [], core_kpis: [] } });\n`;

const DISPLAY = '![t](https://tracker.example/p) [In](https://phish.example) @mallory #1 \u001b[2K✓';
const EVIL = `schema_version: 1
provider_slug: evil
display_name: ${JSON.stringify(DISPLAY)}
auth_mode: byok
secrets:
  - key: PROVIDER_EVIL_API_KEY
    label: "[API key](https://phish.example/key) @acme/security"
scopes:
  - name: "![s](https://tracker.example/s.png)|@mallory"
    description: Refund anything
    requires_firearm: true
    firearm_type: REFUND_ISSUE
kpis: []
`;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cf-pr-comment-'));
  marker = join(scratch, 'EXECUTED-FROM-PR-HEAD');
  secretFile = join(scratch, 'secret.txt');
  writeFileSync(secretFile, SECRET_FILE_TEXT);

  origin = createRepo();
  origin.write({
    'package.json': '{"name":"connectors","private":true}\n',
    'pipeline/catalog/firearm-types.yaml': FIREARM_TYPES,
    'pipeline/catalog/core-kpis.yaml': CORE_KPIS,
    'connectors/alpha/manifest.yaml': ALPHA,
  });
  base = origin.commit('main: one valid connector');

  origin.git('checkout', '-q', '-b', 'agent/evil');
  origin.write({
    'package.json': JSON.stringify({ name: 'connectors', scripts: { preinstall: `node -e "${plant(marker).replace(/"/g, '\\"')}"`, postinstall: `node -e "${plant(marker).replace(/"/g, '\\"')}"`, prepare: 'node evil.cjs', test: 'node evil.cjs' } }),
    'evil.cjs': plant(marker),
    'pipeline/validate/index.ts': plantEsm(marker),
    'pipeline/cli/main.ts': plantEsm(marker),
    'connectors/evil/manifest.yaml': EVIL,
    'connectors/evil/server.ts': plantEsm(marker),
    'connectors/evil/run.sh': `#!/bin/sh\ntouch ${marker}\n`,
    'connectors/broken/manifest.yaml': BROKEN,
  });
  origin.git('update-index', '--add', '--chmod=+x', 'connectors/evil/run.sh');
  evilHead = origin.commit('agent: a hostile connector and code that must never run');
  origin.git('update-ref', 'refs/pull/7/head', evilHead);

  origin.git('checkout', '-q', '-b', 'agent/links', base);
  origin.write({ 'connectors/linky/manifest.yaml': ALPHA.replace(/alpha/g, 'linky').replace('PROVIDER_ALPHA', 'PROVIDER_LINKY') });
  origin.write({ 'pipeline/catalog/core-kpis.yaml': null });
  symlinkSync(secretFile, join(origin.root, 'pipeline/catalog/core-kpis.yaml'));
  mkdirSync(join(origin.root, 'connectors/linky'), { recursive: true });
  symlinkSync('/dev/zero', join(origin.root, 'connectors/linky/notes.txt'));
  symlinkSync(secretFile, join(origin.root, 'connectors/linky/secret.yaml'));
  linkHead = origin.commit('agent: catalogue and connector files replaced by symbolic links');
  origin.git('update-ref', 'refs/pull/8/head', linkHead);
  origin.git('checkout', '-q', 'main');
  // The PR branches live only as pull refs now, as a fork's would.
  origin.git('branch', '-q', '-D', 'agent/evil', 'agent/links');

  // actions/checkout of the default branch: its code and history, no PR commit.
  const root = join(scratch, 'checkout');
  origin.git('clone', '-q', origin.root, root);
  checkout = { ...origin, root, git: (...args: string[]) => origin.git('-C', root, ...args) };
});

beforeAll(async () => {
  gh = await startFakeGitHub({ owner: 'acme', repo: 'connectors' });
  gh.pulls[7] = { head: evilHead, base };
  gh.pulls[8] = { head: linkHead, base };
});

afterAll(async () => {
  await gh?.close();
  origin?.cleanup();
});

let runNo = 0;
/** One workflow_run job: fresh runner files, the triggering run's event, pr-comment with these flags. */
async function prComment(args: string[], options: { triggeringHead?: string; env?: Record<string, string> } = {}) {
  runNo += 1;
  const dir = join(scratch, `run-${runNo}`);
  const runnerTemp = join(dir, 'tmp');
  mkdirSync(runnerTemp, { recursive: true });
  const summary = join(dir, 'summary.md');
  const output = join(dir, 'output.txt');
  const event = join(dir, 'event.json');
  writeFileSync(summary, '');
  writeFileSync(output, '');
  writeFileSync(event, JSON.stringify({ action: 'completed', workflow_run: { id: 99, event: 'pull_request', head_sha: options.triggeringHead ?? evilHead } }));
  const requestsBefore = gh.requests.length;
  const result = await runCli(['pr-comment', ...args], checkout.root, {
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'workflow_run',
    GITHUB_EVENT_PATH: event,
    GITHUB_WORKSPACE: checkout.root,
    GITHUB_REPOSITORY: 'acme/connectors',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '5151',
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: gh.url,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_OUTPUT: output,
    RUNNER_TEMP: runnerTemp,
    ...options.env,
  });
  const text = readFileSync(summary, 'utf8');
  return {
    ...result,
    summary: text,
    outputs: readOutputs(output),
    requests: gh.requests.slice(requestsBefore),
    leftInTemp: readdirSync(runnerTemp),
    everything: result.stdout + result.stderr + text + readFileSync(output, 'utf8'),
  };
}

const writes = (r: { requests: FakeGitHub['requests'] }) => r.requests.filter((q) => q.method !== 'GET');
const flags = (pr: number, head: string) => ['--pr', String(pr), '--head', head, '--base', base];

describe('pr-comment on a hostile PR head', () => {
  let first: Awaited<ReturnType<typeof prComment>>;
  let second: Awaited<ReturnType<typeof prComment>>;
  beforeAll(async () => {
    // A marker comment by another bot: it must be left alone, not taken for ours.
    gh.comments.push({ id: 1, body: `${COMMENT_MARKER}\nforged plan: all clear`, user: { login: 'helpful-bot[bot]', id: 31337, type: 'Bot' } });
    first = await prComment(flags(7, evilHead));
    second = await prComment(flags(7, evilHead));
  });

  it('never runs anything from the head: no install script, no connector code, no validator or CLI of its own', () => {
    expect(existsSync(marker)).toBe(false);
  });

  it('leaves the default branch checkout as it was, and removes its copy of the head', () => {
    expect(checkout.git('status', '--porcelain')).toBe('');
    expect(checkout.git('rev-parse', 'HEAD')).toBe(base);
    expect(checkout.git('branch', '--list')).toBe('* main');
    expect(first.leftInTemp).toEqual([]);
  });

  it("validates the head with the default branch's validator (the head's own would have said all clear)", () => {
    expect(first.stderr).toBe('');
    expect(first.code).toBe(1);
    expect(first.outputs).toMatchObject({ valid: 'false', errors: '1', warnings: '1' });
    const body = gh.comments.find((c) => c.user.login === 'github-actions[bot]')!.body;
    expect(body).toContain('❌ **1 error**');
    expect(body).toContain('`connectors/broken/manifest.yaml:12:');
  });

  it('creates the sticky comment as github-actions[bot] once, then PATCHes that same comment', () => {
    expect(writes(first).map((r) => `${r.method} ${r.path}`)).toEqual(['POST /repos/acme/connectors/issues/7/comments']);
    const ours = gh.comments.filter((c) => c.user.login === 'github-actions[bot]');
    expect(ours).toHaveLength(1);
    expect(writes(second).map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /repos/acme/connectors/issues/comments/${ours[0]!.id}`]);
    expect(first.outputs).toMatchObject({ comment: 'created' });
    expect(second.outputs).toMatchObject({ comment: 'updated', comment_url: first.outputs.comment_url });
  });

  it("leaves another bot's marker comment untouched", () => {
    expect(gh.comments.find((c) => c.id === 1)).toMatchObject({ body: `${COMMENT_MARKER}\nforged plan: all clear`, user: { login: 'helpful-bot[bot]' } });
  });

  it('checks the PR and asks who the token is before writing', () => {
    expect(first.requests.slice(0, 2).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /repos/acme/connectors/pulls/7', 'GET /user']);
  });

  it('renders the hostile names as data: no image, link, mention or control character outside code spans', () => {
    const body = gh.comments.find((c) => c.user.login === 'github-actions[bot]')!.body;
    const m = meaning(body);
    expect(m.outside).not.toMatch(/!\[|tracker\.example|phish\.example|@\w|#1\b/);
    expect(m.spans).toContain(escapeControl(DISPLAY));
    expect(body).not.toContain('\u001b');
    expect(first.summary).not.toContain('\u001b');
    expect(meaning(first.summary).outside).not.toMatch(/!\[|tracker\.example|phish\.example|@\w/);
  });

  it('shows the new firearm scope, planned against an empty registry since none is configured', () => {
    const body = gh.comments.find((c) => c.user.login === 'github-actions[bot]')!.body;
    expect(body).toContain('🚨 NEW FIREARM SCOPES');
    expect(body).toContain('no `REGISTRY_DATABASE_URL` is configured for the plan comment');
    expect(body).toContain('[workflow run](https://github.example/acme/connectors/actions/runs/5151)');
  });

  it('sends the token only in the Authorization header, and never prints it', () => {
    expect(first.requests.every((r) => r.authorization === `token ${TOKEN}`)).toBe(true);
    expect(first.everything + second.everything + JSON.stringify(gh.requests.map((r) => [r.path, r.query, r.body]))).not.toContain(TOKEN);
  });
});

describe('pr-comment on a head whose files are symbolic links', () => {
  it('follows none of them: a linked catalogue or connector file shows no byte of its target, and /dev/zero hangs nothing', async () => {
    const run = await prComment(flags(8, linkHead), { triggeringHead: linkHead });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    expect(run.everything + gh.comments.map((c) => c.body).join('')).not.toContain(SECRET_FILE_TEXT);
    expect(run.summary).toContain('pipeline/catalog/core-kpis.yaml');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('pr-comment refuses pointers that GitHub contradicts', () => {
  it('a head that is not the PR head (the artifact lied, or the PR moved on): exit 1, nothing read or posted', async () => {
    const before = gh.comments.map((c) => ({ ...c }));
    const run = await prComment(flags(7, base), { triggeringHead: base });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(new RegExp(`^::warning::No plan comment: acme/connectors#7's head is ${evilHead}, not ${base}`, 'm'));
    expect(writes(run)).toEqual([]);
    expect(run.requests.map((r) => r.path)).toEqual(['/repos/acme/connectors/pulls/7']);
    expect(gh.comments).toEqual(before);
  });

  it('a head that is not the one the triggering run checked: exit 1 before asking GitHub anything', async () => {
    const run = await prComment(flags(7, evilHead), { triggeringHead: linkHead });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('but the workflow run that triggered this job checked');
    expect(run.requests).toEqual([]);
  });

  it('a PR that does not exist: exit 1', async () => {
    const run = await prComment(flags(99, evilHead));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('acme/connectors#99 is not a pull request GitHub knows');
    expect(writes(run)).toEqual([]);
  });

  it.each([
    ['a PR number that is not a number', ['--pr', '7;id', '--head', 'x'.repeat(40)], 'PR number'],
    ['a head that is not a 40-hex SHA', ['--pr', '7', '--head', 'HEAD'], 'head must be a commit SHA'],
    ['a missing head', ['--pr', '7'], 'head must be a commit SHA'],
    ['a flag in place of a value', ['--pr', '--head', 'a'.repeat(40)], '--pr'],
    ['an unknown flag', ['--pr', '7', '--head', 'a'.repeat(40), '--exec', 'sh'], 'exec'],
  ])('malformed flags (%s) are a usage error: exit 2, nothing asked', async (_, args, says) => {
    const run = await prComment(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(says);
    expect(run.stderr).toContain('Usage: npm run connectors -- pr-comment --pr N --head SHA [--base SHA]');
    expect(run.requests).toEqual([]);
  });
});

describe('the planted code (a control: its absence above means something)', () => {
  it('creates the marker as soon as node runs any of it', () => {
    for (const file of ['evil.cjs', 'connectors/evil/server.ts', 'pipeline/validate/index.ts']) {
      const source = origin.git('show', `${evilHead}:${file}`);
      expect(existsSync(marker)).toBe(false);
      execFileSync(process.execPath, [...(file.endsWith('.cjs') ? [] : ['--input-type=module']), '-e', source], { cwd: scratch });
      expect(existsSync(marker), file).toBe(true);
      rmSync(marker);
    }
  });
});
