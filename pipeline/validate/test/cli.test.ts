/**
 * The CLI contract, run as a user runs it: `tsx pipeline/cli/main.ts validate|new ...` in a temporary
 * copy of a repository. Exit codes 0/1/2, file:line:col lines, the exact --json shape, GitHub commands.
 */
import { execFile } from 'node:child_process';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, pos } from './helpers.ts';
import { makeRepo, manifestFor, type TempRepo } from './fs-helpers.ts';

const run = promisify(execFile);
const TSX = path.join(REPO_ROOT, 'node_modules/.bin/tsx');
const MAIN = path.join(REPO_ROOT, 'pipeline/cli/main.ts');

async function cli(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const env = { ...process.env, GITHUB_ACTIONS: '', CONNECTORS_REPO_ROOT: '', ...opts.env };
  try {
    const { stdout, stderr } = await run(TSX, [MAIN, ...args], { cwd: opts.cwd, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

const BROKEN = manifestFor('broken').replace('REFUND_ISSUE', 'REFUND').replace('auth_mode: byok', 'auth_mode: byk');

let repo: TempRepo;
beforeAll(async () => {
  repo = await makeRepo();
  await cp(path.join(REPO_ROOT, '_template'), path.join(repo.root, '_template'), { recursive: true });
  await repo.write('connectors/acme/manifest.yaml', manifestFor('acme'));
});
afterAll(() => repo.remove());

describe('validate command', () => {
  it('exits 0 and says ok on a clean repository', async () => {
    const r = await cli(['validate'], { cwd: repo.root });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 1 manifest, 2 catalogues checked, no errors\.$/m);
  });

  it('exits 1 and prints every problem as file:line:col with a hint', async () => {
    await repo.write('connectors/broken/manifest.yaml', BROKEN);
    const r = await cli(['validate'], { cwd: repo.root });
    expect(r.code).toBe(1);
    const auth = pos(BROKEN, 'auth_mode: byk', 'byk');
    const firearm = pos(BROKEN, 'firearm_type: REFUND', 'REFUND');
    expect(r.stdout).toContain(`connectors/broken/manifest.yaml:${auth.line}:${auth.column} auth_mode: must be one of oauth, byok, oauth_and_byok, none, not the text "byk". Did you mean byok? [invalid_value]`);
    expect(r.stdout).toContain(`connectors/broken/manifest.yaml:${firearm.line}:${firearm.column} scopes[1].firearm_type: unknown firearm type "REFUND". Did you mean REFUND_ISSUE?`);
    expect(r.stdout).toMatch(/^invalid: 2 errors/m);
  });

  it('--json prints exactly one JSON object with ok, checked, errors and warnings', async () => {
    const r = await cli(['validate', '--json'], { cwd: repo.root });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out)).toEqual(['ok', 'checked', 'errors', 'warnings']);
    expect(out).toMatchObject({ ok: false, checked: 4, warnings: [] });
    expect(out.errors).toHaveLength(2);
    for (const e of out.errors) expect(Object.keys(e).sort()).toEqual(['code', 'column', 'file', 'line', 'message', 'path']);
    expect(out.errors[1]).toMatchObject({ file: 'connectors/broken/manifest.yaml', path: 'scopes[1].firearm_type', code: 'unknown_firearm_type', ...pos(BROKEN, 'firearm_type: REFUND', 'REFUND') });
  });

  it('PATH arguments are relative to the working directory and narrow the check', async () => {
    const r = await cli(['validate', '--json', 'acme'], { cwd: path.join(repo.root, 'connectors') });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ ok: true, checked: 3, errors: [], warnings: [] });
  });

  it('with GITHUB_ACTIONS=true prints workflow commands; with --json they go to stderr', async () => {
    const human = await cli(['validate'], { cwd: repo.root, env: { GITHUB_ACTIONS: 'true' } });
    const firearm = pos(BROKEN, 'firearm_type: REFUND', 'REFUND');
    expect(human.stdout).toContain(`::error file=connectors/broken/manifest.yaml,line=${firearm.line},col=${firearm.column},title=scopes[1].firearm_type (unknown_firearm_type)::unknown firearm type "REFUND".`);
    const json = await cli(['validate', '--json'], { cwd: repo.root, env: { GITHUB_ACTIONS: 'true' } });
    expect(JSON.parse(json.stdout).ok).toBe(false);
    expect(json.stderr).toMatch(/^::error file=connectors\/broken\/manifest\.yaml,/m);
  });

  it('an unknown flag is a usage error: exit 2', async () => {
    const r = await cli(['validate', '--strict-mode'], { cwd: repo.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('validate has no option --strict-mode.');
    expect(r.stderr).toContain('Usage: npm run connectors -- validate');
  });

  it('a PATH that names no connector is a usage error that says so: exit 2, nothing validated', async () => {
    const r = await cli(['validate', 'connectors/nope'], { cwd: repo.root });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: connectors\/nope does not exist: there is no connector "nope"\./);
    expect(r.stderr).not.toMatch(/:1:1|files? checked/);
  });
});

describe('new command', () => {
  it('scaffolds a connector whose manifest fails with TODO placeholders until filled', async () => {
    const made = await cli(['new', 'fresh_shop', '--display-name', 'Fresh Shop', '--auth-mode', 'byok'], { cwd: repo.root });
    expect(made.code).toBe(0);
    expect(made.stdout).toContain('Created connectors/fresh_shop/');
    expect(made.stdout).toContain('npm run connectors -- validate connectors/fresh_shop');
    const text = await readFile(path.join(repo.root, 'connectors/fresh_shop/manifest.yaml'), 'utf8');
    expect(text).toMatch(/^provider_slug: fresh_shop$/m);
    expect(text).toMatch(/^display_name: Fresh Shop$/m);
    expect(text).toMatch(/^auth_mode: byok$/m);
    expect(text).toContain('key: PROVIDER_FRESH_SHOP_TODO');

    const r = await cli(['validate', '--json', 'connectors/fresh_shop'], { cwd: repo.root });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.errors.length).toBeGreaterThan(5);
    expect(new Set(out.errors.map((e: { code: string }) => e.code))).toEqual(new Set(['todo_placeholder']));
  });

  it('refuses an existing folder with exit 1', async () => {
    const r = await cli(['new', 'acme'], { cwd: repo.root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('connectors/acme already exists');
  });

  it('refuses an invalid slug as a usage error (exit 2) and says what a slug is', async () => {
    const r = await cli(['new', 'Fresh-Shop'], { cwd: repo.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('^[a-z][a-z0-9_]{1,62}$');
    expect(r.stderr).toContain('Try "fresh_shop"');
  });

  it('refuses an unknown auth mode with exit 2', async () => {
    const r = await cli(['new', 'other_shop', '--auth-mode', 'apikey'], { cwd: repo.root });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--auth-mode must be one of oauth, byok, oauth_and_byok, none');
  });
});
