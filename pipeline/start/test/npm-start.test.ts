/**
 * `npm start` as a newcomer runs it: in a fresh copy of the repository, on the embedded registry.
 * The factory must print its URL, follow a manifest edit onto the site within moments, and on
 * Ctrl-C (SIGINT to the whole process group, as a terminal sends it) leave no process, socket or
 * registry claim behind.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRepo, waitFor } from './helpers.ts';

function groupProcesses(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pgid=,pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.trim().split(/\s+/)[0] === String(pgid))
    .map((line) => line.trim());
}

describe('npm start', () => {
  let tmp: string;
  let work: string;
  let child: ChildProcess;
  let output = '';
  const socketPath = () => path.join(tmp, 'run', 'vault-agent.sock');

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-start-'));
    chmodSync(tmp, 0o700);
    work = path.join(tmp, 'repo');
    copyRepo(work);
    child = spawn('npm', ['start', '--', '--port', '0'], {
      cwd: work,
      detached: true, // its own process group, like a terminal job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        DATABASE_URL: '',
        VAULT_DIR: path.join(tmp, 'vault'),
        VAULT_AGENT_SOCKET: socketPath(),
      },
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  });

  afterAll(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('prints the site URL and the vault, and serves the registry it synced', async () => {
    const url = await waitFor('the site URL', () => /God Config: (http:\/\/\S+)/.exec(output)?.[1], 120_000);
    expect(output).toContain(`Vault:      ${path.join(tmp, 'vault')}`);
    const page = await (await fetch(url)).text();
    expect(page).toContain('dummy_service');
  });

  it('re-syncs a manifest edit and the site shows it', async () => {
    const url = /God Config: (http:\/\/\S+)/.exec(output)![1]!;
    const manifest = path.join(work, 'connectors/dummy_service/manifest.yaml');
    const text = readFileSync(manifest, 'utf8');
    expect(text).toMatch(/^display_name: .+$/m);
    writeFileSync(manifest, text.replace(/^display_name: .+$/m, 'display_name: Dummy Service Renamed'));
    await waitFor(
      'the renamed connector on the site',
      async () => ((await (await fetch(`${url}/connectors/dummy_service`)).text()).includes('Dummy Service Renamed') ? true : undefined),
      15_000,
    );
    expect(output).toMatch(/change in connectors\/dummy_service\/manifest\.yaml/);
  });

  it('reports a broken manifest in its output and on the site instead of crashing, until it is fixed', async () => {
    const url = /God Config: (http:\/\/\S+)/.exec(output)![1]!;
    const manifest = path.join(work, 'connectors/dummy_service/manifest.yaml');
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.replace(/^auth_mode: .+$/m, 'auth_mode: byokk'));
    await waitFor('the validation problem in the output', () => (/manifest\.yaml:\d+:\d+ auth_mode/.test(output) ? true : undefined), 15_000);
    const page = await (await fetch(url)).text();
    expect(page).toContain('data-testid="pipeline-banner"');
    expect(page).toMatch(/connectors\/dummy_service\/manifest\.yaml:\d+:\d+/);
    writeFileSync(manifest, text);
    await waitFor(
      'the banner to clear once the manifest is fixed',
      async () => (!(await (await fetch(url)).text()).includes('pipeline-banner') ? true : undefined),
      15_000,
    );
  });

  it('stops every part on SIGINT: no process, socket or registry claim left', async () => {
    const pgid = child.pid!;
    expect(groupProcesses(pgid).some((p) => p.includes('vault-agent/src/main.ts'))).toBe(true);
    expect(existsSync(socketPath())).toBe(true);
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
    process.kill(-pgid, 'SIGINT');
    // npm itself ends by the signal; the factory below it ends with code 0 after cleaning up.
    expect(['SIGINT', 'code 0']).toContain(await exited);
    await waitFor('the process group to empty', () => (groupProcesses(pgid).length === 0 ? true : undefined), 15_000);
    expect(existsSync(socketPath())).toBe(false);
    expect(existsSync(path.join(work, '.data', 'registry.json'))).toBe(false);
    expect(output).toContain('stopped.');
  });
});

describe('npm start interrupted while starting', () => {
  it('Ctrl-C during start-up still stops every part already started: no process, socket or claim left', async () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-start-int-'));
    chmodSync(tmp, 0o700);
    const work = path.join(tmp, 'repo');
    copyRepo(work);
    const socket = path.join(tmp, 'run', 'vault-agent.sock');
    const child = spawn(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', '--port', '0', '--no-watch'], {
      cwd: work,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '', VAULT_DIR: path.join(tmp, 'vault'), VAULT_AGENT_SOCKET: socket },
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
    try {
      // The registry is up and vault-agent is being started: interrupt right there.
      await waitFor('vault-agent to be starting', () => (output.includes('… vault-agent') ? true : undefined), 120_000);
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited, output).toBe('code 0');
      await waitFor('the process group to empty', () => (groupProcesses(child.pid!).length === 0 ? true : undefined), 15_000);
      expect(existsSync(socket)).toBe(false);
      expect(existsSync(path.join(work, '.data', 'registry.json'))).toBe(false);
      expect(output).toContain('stopped.');
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
