/**
 * Ctrl-C while npm start syncs a few hundred connectors, as a terminal sends it: SIGINT to the
 * whole process group (npm, the shell, node, vault-agent, esbuild). npm start is run by node with
 * the tsx loader (package.json), not by the tsx launcher, which killed its child when it did not
 * acknowledge SIGINT within ~60 ms; so our own handler runs, finishes the sync's transaction or
 * rolls it back, stops every part, prints "stopped." and leaves no registry.json and no socket.
 */
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, addSyntheticConnectors, copyRepo, crashLines, waitFor } from './helpers.ts';

function groupProcesses(pgid: number): string[] {
  return execFileSync('ps', ['-eo', 'pgid=,pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.trim().split(/\s+/)[0] === String(pgid));
}

describe('Ctrl-C during a sync', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-ctrlc-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('npm start runs its entry point under node (the tsx loader), not the tsx launcher', () => {
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'connectors', 'vault-agent']) expect(scripts[name], name).toMatch(/^node --import tsx /);
  });

  it('SIGINT to the group during the first sync of 300 connectors: "stopped.", no registry.json, no socket, no process', async () => {
    chmodSync(tmp, 0o700);
    const work = path.join(tmp, 'repo');
    copyRepo(work);
    await addSyntheticConnectors(work, 300);
    const child = spawn('npm', ['start', '--', '--port', '0'], {
      cwd: work,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '', VAULT_DIR: path.join(tmp, 'vault') },
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await waitFor('the first sync to start', () => (output.includes('… sync connectors/') ? true : undefined), 120_000);
      process.kill(-child.pid!, 'SIGINT');
      await exited;
      await waitFor('the process group to empty', () => (groupProcesses(child.pid!).length === 0 ? true : undefined), 30_000);
      expect(output).toContain('stopped.');
      expect(output).not.toContain('✓ God Config site'); // it stopped where it was, starting nothing more
      const dataDir = path.join(work, '.data');
      expect(existsSync(path.join(dataDir, 'registry.json'))).toBe(false);
      const runDir = path.join(dataDir, 'run');
      expect(existsSync(runDir) ? readdirSync(runDir) : []).toEqual([]);
      expect(crashLines(output)).toEqual([]);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone, as it should be
      }
    }
  }, 240_000);

  it('kill -9 of npm start leaves no orphan: its vault-agent stops when its lifeline (stdin) ends', async () => {
    chmodSync(tmp, 0o700);
    const work = path.join(tmp, 'repo-kill');
    copyRepo(work);
    const child = spawn(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', '--port', '0', '--no-watch', '--data-dir', path.join(tmp, 'data-kill')], {
      cwd: work,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '', VAULT_DIR: path.join(tmp, 'vault') },
    });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    try {
      await waitFor('the login URL', () => (/God Config: http/.test(output) ? true : undefined), 180_000, { child, output: () => output });
      const agent = groupProcesses(child.pid!).find((p) => p.includes('vault-agent/src/main.ts'));
      expect(agent).toBeDefined();
      const agentPid = Number(agent!.trim().split(/\s+/)[1]);
      process.kill(child.pid!, 'SIGKILL'); // npm start only, not its group: nobody tells the agent to stop
      await waitFor('the vault-agent to stop on its own', () => {
        try {
          process.kill(agentPid, 0);
          return undefined;
        } catch {
          return true;
        }
      }, 30_000);
      expect(existsSync(path.join(tmp, 'data-kill', 'run', 'vault-agent.sock'))).toBe(false);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }, 240_000);
});
