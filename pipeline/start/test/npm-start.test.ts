/**
 * `npm start` as a newcomer runs it: in a fresh copy of the repository, on the embedded registry.
 * The factory must print its login URL, follow a manifest edit onto the site within moments, and
 * on Ctrl-C (SIGINT to the whole process group, as a terminal sends it) leave no process, socket or
 * registry claim behind; the login token is in no file it leaves and no other line it prints.
 */
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultClient } from '../../../vault-agent/src/client.ts';
import { REPO_ROOT, copyRepo, loginWithFetch, printedLoginUrl, waitFor } from './helpers.ts';

/** Every file under `dir`, recursively, as bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .map((file) => ({ file, bytes: readFileSync(file) }));
}

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
    // Start-up (a cold PGlite, the site build) can outlast one test on a busy machine: wait here.
    await waitFor('the login URL', () => printedLoginUrl(output), 120_000, { child, output: () => output });
  });

  afterAll(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a checkout whose site is built (by the global setup here) starts without building it again', () => {
    expect(output).toContain('✓ sync connectors/');
    expect(output).not.toContain('building the site');
  });

  it('prints the login URL and the vault; the URL logs in and the site serves the registry it synced', async () => {
    const loginUrl = printedLoginUrl(output)!;
    expect(loginUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{22,}$/); // 22 base64url characters: 128 bits
    expect(output).toContain(`Vault:      ${path.join(tmp, 'vault')}`);
    const operator = os.userInfo().username;
    expect(output).toContain(`log in as ${operator}`);
    const site = await loginWithFetch(loginUrl);
    expect((await fetch(site.site)).status).toBe(401); // without the cookie
    const page = await (await site.get('/')).text();
    expect(page).toContain('dummy_service');
    expect(page).toContain(`data-testid="operator"`);
    expect(page).toMatch(new RegExp(`data-testid="operator"[^>]*>${operator}<`));
  });

  it('re-syncs a manifest edit and the site shows it', async () => {
    const site = await loginWithFetch(printedLoginUrl(output)!);
    const manifest = path.join(work, 'connectors/dummy_service/manifest.yaml');
    const text = readFileSync(manifest, 'utf8');
    expect(text).toMatch(/^display_name: .+$/m);
    writeFileSync(manifest, text.replace(/^display_name: .+$/m, 'display_name: Dummy Service Renamed'));
    await waitFor(
      'the renamed connector on the site',
      async () => ((await (await site.get('/connectors/dummy_service')).text()).includes('Dummy Service Renamed') ? true : undefined),
      15_000,
    );
    expect(output).toMatch(/change in connectors\/dummy_service\/manifest\.yaml/);
  });

  it('follows every rename-over save of a manifest onto the site, three in a row (as editors save)', async () => {
    const site = await loginWithFetch(printedLoginUrl(output)!);
    const manifest = path.join(work, 'connectors/dummy_service/manifest.yaml');
    const text = readFileSync(manifest, 'utf8');
    for (let n = 1; n <= 3; n++) {
      // Written elsewhere, then moved over the manifest: the manifest's inode is replaced each time.
      const temp = path.join(tmp, `editor-save-${n}.tmp`);
      writeFileSync(temp, text.replace(/^display_name: .+$/m, `display_name: Dummy Saved ${n}`));
      execFileSync('mv', [temp, manifest]);
      await waitFor(
        `save ${n} on the site`,
        async () => ((await (await site.get('/connectors/dummy_service')).text()).includes(`Dummy Saved ${n}`) ? true : undefined),
        30_000,
      );
    }
    writeFileSync(manifest, text);
    await waitFor(
      'the original manifest back on the site',
      async () => (!(await (await site.get('/connectors/dummy_service')).text()).includes('Dummy Saved') ? true : undefined),
      30_000,
    );
  });

  it('reports a broken manifest in its output and on the site instead of crashing, until it is fixed', async () => {
    const site = await loginWithFetch(printedLoginUrl(output)!);
    const manifest = path.join(work, 'connectors/dummy_service/manifest.yaml');
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.replace(/^auth_mode: .+$/m, 'auth_mode: byokk'));
    await waitFor('the validation problem in the output', () => (/manifest\.yaml:\d+:\d+ auth_mode/.test(output) ? true : undefined), 15_000);
    const page = await (await site.get('/')).text();
    expect(page).toContain('data-testid="pipeline-banner"');
    expect(page).toMatch(/connectors\/dummy_service\/manifest\.yaml:\d+:\d+/);
    writeFileSync(manifest, text);
    await waitFor(
      'the banner to clear once the manifest is fixed',
      async () => (!(await (await site.get('/')).text()).includes('pipeline-banner') ? true : undefined),
      15_000,
    );
  });

  it('shows a field named with terminal escape codes escaped: it cannot erase the error line and print a fake success', async () => {
    const site = await loginWithFetch(printedLoginUrl(output)!);
    const manifest = path.join(work, 'connectors/dummy_service/manifest.yaml');
    const text = readFileSync(manifest, 'utf8');
    // YAML's "\e" is ESC: the key reads ESC [2K CR "✓ all good".
    writeFileSync(manifest, text.replace(/^auth_mode: .+$/m, (line) => `${line}\n"\\e[2K\\r✓ all good": 1`));
    await waitFor('the escaped field in the output', () => (output.includes('\\x1b[2K\\x0d✓ all good') ? true : undefined), 15_000);
    expect(output).not.toContain('\u001b[2K');
    expect(output).not.toMatch(/\r✓ all good/);
    writeFileSync(manifest, text);
    await waitFor(
      'the banner to clear once the manifest is fixed',
      async () => (!(await (await site.get('/')).text()).includes('pipeline-banner') ? true : undefined),
      15_000,
    );
  });

  it('restarts vault-agent after a kill -9; meanwhile the list says vault unavailable, never that a set key is not set', async () => {
    const site = await loginWithFetch(printedLoginUrl(output)!);
    const vault = createVaultClient(socketPath());
    expect((await vault.put('PROVIDER_DUMMY_SERVICE_API_KEY', 'canary-restart-7f3a')).ok).toBe(true);
    vault.close();
    const keysCell = async () => {
      const page = await (await site.get('/')).text();
      const cell = /data-slug="dummy_service"[\s\S]*?data-label="Keys set"[^>]*>([\s\S]*?)<\/td>/.exec(page)?.[1] ?? '';
      return { page, keys: cell.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() };
    };
    await waitFor('the key counted as set', async () => ((await keysCell()).keys.startsWith('1 / 1') ? true : undefined), 30_000);

    const agent = groupProcesses(child.pid!).find((p) => p.includes('vault-agent/src/main.ts'))!;
    const agentPid = Number(agent.split(/\s+/)[1]);
    const before = output.length;
    process.kill(agentPid, 'SIGKILL');
    let sawUnavailable = false;
    // Until the new agent has proved itself, every list page says "unavailable" or counts the key as set.
    while (!output.slice(before).includes('vault-agent: restarted')) {
      const { page, keys } = await keysCell();
      if (keys.startsWith('?')) {
        sawUnavailable = true;
        expect(page).toContain('data-testid="vault-unavailable"');
        expect(keys).toBe('? / 1');
      } else {
        expect(keys).toMatch(/^1 \/ 1/);
      }
    }
    expect(sawUnavailable).toBe(true);
    expect(output.slice(before)).toMatch(/vault-agent: exited \(SIGKILL\); restarting it in [\d.]+ s with a new spawn proof/);
    await waitFor('the key counted as set again', async () => ((await keysCell()).keys.startsWith('1 / 1') ? true : undefined), 30_000);
    const now = groupProcesses(child.pid!).filter((p) => p.includes('vault-agent/src/main.ts'));
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(agent);
    expect(output).not.toContain('canary-restart-7f3a');
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

  it('left the login token in no file of the data dir or the vault, and on no line but the printed URL', () => {
    const token = new URL(printedLoginUrl(output)!).searchParams.get('token')!;
    const files = [...filesUnder(path.join(work, '.data')), ...filesUnder(path.join(tmp, 'vault'))];
    expect(files.length).toBeGreaterThan(0); // the registry's data files are there to search
    expect(files.filter(({ bytes }) => bytes.includes(token)).map(({ file }) => file)).toEqual([]);
    expect(output.split('\n').filter((line) => line.includes(token))).toEqual([`God Config: ${printedLoginUrl(output)}`]);
  });
});

describe('npm start --operator', () => {
  const start = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });

  it('refuses a name that is not printable text or too long (usage error, exit 2), before starting anything', () => {
    // Each rule is held by operator-name.test.ts; here, that npm start applies them.
    for (const bad of ['evil\x1b[2K\r✓ fine', 'x'.repeat(65)]) {
      const run = start('--operator', bad, '--port', '0');
      expect(run.status, JSON.stringify(bad)).toBe(2);
      expect(run.stderr).toMatch(/^npm start: --operator /);
      expect(run.stdout).not.toContain('registry');
    }
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
    // Its own waits (start-up to vault-agent, up to 120 s on a busy machine) outlast the default 60 s.
  }, 180_000);
});
