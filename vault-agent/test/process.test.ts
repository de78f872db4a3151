/**
 * The daemon as its own process (`vault-agent/src/main.ts`): prints where it listens, keeps the
 * canary out of its output and the process list, stops cleanly on SIGTERM/SIGINT removing its
 * socket; killed with SIGKILL mid-writes it leaves every key file old or new, never torn, and the
 * next start removes stray temp files.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { canary, privateTempDir, removeDir, startTestAgent } from './helpers.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
let root: string;
beforeEach(async () => {
  root = await privateTempDir();
});
afterEach(async () => {
  await removeDir(root);
});

interface Child {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns the daemon directly under node (no npm/tsx wrapper process, so signals reach it). */
async function spawnAgent(args: string[]): Promise<Child> {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VAULT_AGE_RECIPIENTS: '' } });
  proc.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const ready = new Promise<void>((res, rej) => {
    const t = setInterval(() => {
      if (out.includes('listening on')) {
        clearInterval(t);
        res();
      }
    }, 20);
    void exited.then(() => {
      clearInterval(t);
      rej(new Error(`agent exited early:\n${out}`));
    });
  });
  await ready;
  return { proc, output: () => out, exited };
}

/** Every process's command line, as `ps` would show it. */
function processList(): string {
  const lines: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      /* gone */
    }
  }
  return lines.join('\n');
}

test('npm run vault-agent prints where it listens, keeps the canary out of output and process list, and stops on SIGTERM', async () => {
  const sock = join(root, 'run', 'a.sock');
  const child = await spawnAgent(['--vault-dir', join(root, 'vault'), '--socket', sock]);
  expect(child.output()).toContain(`vault-agent listening on unix:${sock} (vault ${join(root, 'vault')}, plain mode)`);
  const CANARY = canary();
  const c = createVaultClient(sock);
  expect(await c.put('PROC_KEY', CANARY)).toMatchObject({ ok: true });
  expect(await c.put('PROC_KEY', `${CANARY} `)).toMatchObject({ ok: false, code: 'invalid_value' });
  c.close();
  expect(processList()).not.toContain(CANARY);
  child.proc.kill('SIGTERM');
  expect(await child.exited).toEqual({ code: 0, signal: null });
  expect(child.output()).toContain('vault-agent stopped');
  expect(child.output()).not.toContain(CANARY);
  await expect(fs.lstat(sock)).rejects.toMatchObject({ code: 'ENOENT' });
  expect(await fs.readFile(join(root, 'vault', 'PROC_KEY.txt'), 'utf8')).toBe(CANARY);
});

test('SIGINT also stops it cleanly and removes the socket; a usage error exits 2', async () => {
  const sock = join(root, 'run', 'a.sock');
  const child = await spawnAgent(['--vault-dir', join(root, 'vault'), '--socket', sock]);
  child.proc.kill('SIGINT');
  expect(await child.exited).toEqual({ code: 0, signal: null });
  await expect(fs.lstat(sock)).rejects.toMatchObject({ code: 'ENOENT' });
  const bad = spawn(process.execPath, ['--import', 'tsx', MAIN, '--vault-dri', 'x'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  bad.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  expect(await new Promise((r) => bad.once('exit', r))).toBe(2);
  expect(stderr).toMatch(/^vault-agent: vault-agent has no option --vault-dri\. Did you mean --vault-dir\?\nUsage: npm run vault-agent -- \[--vault-dir DIR\] \[--socket PATH\]\n/);
});

test('a writer killed with SIGKILL mid-writes leaves every key old or new, never torn; the next start removes temp files', async () => {
  const vault = join(root, 'vault');
  const sock = join(root, 'run', 'a.sock');
  const child = await spawnAgent(['--vault-dir', vault, '--socket', sock]);
  const NAMES = Array.from({ length: 8 }, (_, i) => `CRASH_KEY_${i}`);
  const big = (tag: string) => `${tag}[` + tag.repeat(Math.ceil(60_000 / tag.length)).slice(0, 60_000) + `]${tag}`;
  const sent = new Map<string, Set<string>>(NAMES.map((n) => [n, new Set([big(`old-${n}`)])]));
  const seed = createVaultClient(sock);
  for (const n of NAMES) expect(await seed.put(n, big(`old-${n}`))).toMatchObject({ ok: true });
  seed.close();

  // 24 writers hammer the 8 names; the agent is killed once some new writes have landed.
  let acked = 0;
  let stop = false;
  const writers = Array.from({ length: 24 }, async (_, w) => {
    const c = createVaultClient(sock, { timeoutMs: 5_000 });
    for (let i = 0; !stop; i++) {
      const name = NAMES[(w + i) % NAMES.length]!;
      const v = big(`new-${w}-${i}-`);
      sent.get(name)!.add(v); // recorded before sending: it may land even if never acknowledged
      const r = await c.put(name, v);
      if (!r.ok) break; // the agent is gone
      acked++;
    }
    c.close();
  });
  while (acked < 40) await new Promise((r) => setTimeout(r, 5));
  child.proc.kill('SIGKILL');
  expect((await child.exited).signal).toBe('SIGKILL');
  stop = true;
  await Promise.all(writers);

  for (const n of NAMES) {
    const content = await fs.readFile(join(vault, `${n}.txt`), 'utf8');
    expect(sent.get(n)!.has(content), `${n} holds a value that was never sent whole`).toBe(true);
  }
  // A killed writer may leave temp files; plant one more so the clean-up is always exercised.
  await fs.writeFile(join(vault, '.tmp-CRASH_KEY_0.deadbeef'), 'half a value', { mode: 0o600 });
  const again = await startTestAgent(root);
  expect((await fs.readdir(vault)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  expect(again.logs.some((l) => /removed \d+ temp file/.test(l))).toBe(true);
  const c = createVaultClient(again.socketPath);
  expect(await c.list()).toMatchObject({ ok: true, secrets: NAMES.map((name) => ({ name })) });
  c.close();
  await again.close();
}, 30_000);
