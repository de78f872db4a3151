/**
 * One owner per data dir, decided by the flock on `<dataDir>/registry.lock`: a second npm start on
 * the same data dir refuses at once, naming the first's pid and site (never its login token), and
 * the first goes on serving; two plain `sync` commands at once both succeed, the second reaching
 * the first's registry and starting over on the data dir when the first finishes under it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, addSyntheticConnectors, copyRepo, crashLines, loginWithFetch, printedLoginUrl, waitFor } from './helpers.ts';

function run(cwd: string, args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, DATABASE_URL: '', ...env } });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function killGroup(child: ChildProcess | undefined): void {
  try {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // gone
  }
}

describe('one owner per data dir', () => {
  let tmp: string;
  let work: string;
  let first: ReturnType<typeof run> | undefined;
  let second: ReturnType<typeof run> | undefined;

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-owner-'));
    chmodSync(tmp, 0o700);
    work = path.join(tmp, 'repo');
    copyRepo(work);
  });

  afterAll(() => {
    killGroup(first?.child);
    killGroup(second?.child);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a second npm start on the same data dir refuses at once, naming the first one\'s pid and site; the first goes on', async () => {
    const env = { VAULT_DIR: path.join(tmp, 'vault') };
    first = run(work, ['pipeline/cli/start.ts', '--port', '0', '--no-watch'], { ...env, VAULT_AGENT_SOCKET: path.join(tmp, 'run1', 'vault-agent.sock') });
    const loginUrl = await waitFor('the first npm start\'s login URL', () => printedLoginUrl(first!.output()), 120_000, first);
    const siteUrl = new URL(loginUrl).origin;
    const token = new URL(loginUrl).searchParams.get('token')!;
    const info = JSON.parse(readFileSync(path.join(work, '.data', 'registry.json'), 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ pid: first.child.pid, kind: 'npm start', site_url: siteUrl });

    second = run(work, ['pipeline/cli/start.ts', '--port', '0', '--no-watch'], { ...env, VAULT_AGENT_SOCKET: path.join(tmp, 'run2', 'vault-agent.sock') });
    expect(await second.exited, second.output()).toBe(1);
    const out = second.output();
    expect(out).toContain(`npm start: another npm start (process ${first.child.pid}) already runs on the data dir ${path.join(work, '.data')}; its God Config site is ${siteUrl}`);
    expect(out).not.toContain(token);
    expect(out).not.toContain('… vault-agent'); // it stopped before starting anything of its own
    expect(crashLines(out)).toEqual([]);

    // doctor sees the same owner, its site, and the registry answering through it.
    const doctor = run(work, ['pipeline/cli/main.ts', 'doctor'], { ...env, VAULT_AGENT_SOCKET: path.join(tmp, 'run1', 'vault-agent.sock') });
    expect(await doctor.exited, doctor.output()).toBe(0);
    expect(doctor.output()).toContain(`✓ held by npm start (process ${first.child.pid}), site ${siteUrl}`);
    expect(doctor.output()).toContain('✓ the registry answers on');
    expect(doctor.output()).toContain('✓ opens (through its owner)');
    expect(doctor.output()).toContain('✓ vault-agent answers on');
    expect(doctor.output()).not.toContain(token);

    // The first is untouched: still serving, still the owner.
    const site = await loginWithFetch(loginUrl);
    expect((await site.get('/')).status).toBe(200);
    expect(JSON.parse(readFileSync(path.join(work, '.data', 'registry.json'), 'utf8')).pid).toBe(first.child.pid);

    process.kill(-first.child.pid!, 'SIGINT');
    expect(await first.exited).toBe(0);
    expect(existsSync(path.join(work, '.data', 'registry.json'))).toBe(false);
    expect(crashLines(first.output())).toEqual([]);
  }, 240_000);

  it('two plain syncs at once on one data dir both succeed, whichever finishes first', async () => {
    await addSyntheticConnectors(work, 150); // work enough for the second to arrive while the first serves
    const dataDir = path.join(tmp, 'data-syncs');
    const a = run(work, ['pipeline/cli/main.ts', 'sync', '--data-dir', dataDir], {});
    // The second starts once the first serves the registry, so it reaches it rather than owning it.
    await waitFor('the first sync to serve the registry', () => {
      try {
        return (JSON.parse(readFileSync(path.join(dataDir, 'registry.json'), 'utf8')) as { url: string | null }).url ? true : undefined;
      } catch {
        return undefined;
      }
    }, 120_000);
    const b = run(work, ['pipeline/cli/main.ts', 'sync', '--data-dir', dataDir], {});
    const [codeA, codeB] = await Promise.all([a.exited, b.exited]);
    expect(codeA, a.output()).toBe(0);
    expect(codeB, b.output()).toBe(0);
    expect(crashLines(a.output() + b.output())).toEqual([]);
    // Both agree on the result: a third sync finds nothing to do.
    const c = run(work, ['pipeline/cli/main.ts', 'plan', '--data-dir', dataDir], {});
    expect(await c.exited, c.output()).toBe(0);
    expect(c.output()).toMatch(/no changes|0 added, 0 changed/i);
  }, 240_000);

  it('an npm start that finds a command owning the data dir waits for it, then owns the data dir itself', async () => {
    const dataDir = path.join(tmp, 'data-wait');
    // A command holding the registry until told to stop (as a long sync would).
    const holder = run(REPO_ROOT, ['pipeline/registry/test/fixtures/hold-registry.ts', dataDir], {});
    await waitFor('the holder to serve the registry', () => (holder.output().includes('ready ') ? true : undefined), 120_000);
    second = run(work, ['pipeline/cli/start.ts', '--port', '0', '--no-watch', '--data-dir', dataDir], { VAULT_DIR: path.join(tmp, 'vault') });
    await waitFor('npm start to say it waits', () => (second!.output().includes('waiting for it to finish') ? true : undefined), 120_000);
    expect(second.output()).toContain(`registry: the data dir ${dataDir} is in use by process ${holder.child.pid} (command); waiting for it to finish`);
    expect(second.output()).not.toContain('✓ registry');
    holder.child.kill('SIGTERM');
    expect(await holder.exited, holder.output()).toBe(0);
    const loginUrl = await waitFor('the login URL of the npm start that waited', () => printedLoginUrl(second!.output()), 180_000, second);
    expect(JSON.parse(readFileSync(path.join(dataDir, 'registry.json'), 'utf8'))).toMatchObject({ pid: second.child.pid, kind: 'npm start', site_url: new URL(loginUrl).origin });
    process.kill(-second.child.pid!, 'SIGINT');
    expect(await second.exited).toBe(0);
    expect(crashLines(holder.output() + second.output())).toEqual([]);
  }, 300_000);
});
