/**
 * Issue 10, "swapping the vault dir for a symlink during writes put a value outside the vault and
 * left temp files holding values". The agent holds the vault dir by descriptor (held-dir.ts), so
 * while another process keeps renaming the vault path away and putting a symbolic link to another
 * directory in its place, hundreds of writes land in the original directory or are refused, and
 * no value or temp file ever appears anywhere else.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { privateTempDir, removeDir, startTestAgent, type TestAgent } from './helpers.ts';

let root: string;
let agent: TestAgent | undefined;
let swapper: ChildProcess | undefined;
beforeEach(async () => {
  root = await privateTempDir();
});
afterEach(async () => {
  swapper?.kill('SIGKILL');
  await agent?.close();
  agent = undefined;
  await removeDir(root);
});

/**
 * Swaps `vault` for a link to `other` and back, over and over, in its own process (so the swaps
 * race the agent's file operations for real). Prints the count every 50 swaps; on SIGTERM it
 * finishes the current swap, leaves the real directory in place and prints "restored".
 */
const SWAPPER = `
const fs = require('node:fs');
const [vault, moved, other] = process.argv.slice(1);
let stop = false, n = 0;
process.on('SIGTERM', () => { stop = true; });
function step() {
  fs.renameSync(vault, moved);
  fs.symlinkSync(other, vault);
  for (let i = 0; i < 2000; i++) fs.statSync(vault); // stay swapped a little while
  fs.unlinkSync(vault);
  fs.renameSync(moved, vault);
  if (++n % 50 === 0) process.stdout.write('swaps ' + n + '\\n');
  if (stop) { process.stdout.write('restored\\n'); return; }
  setImmediate(step);
}
step();
`;

/** A value whose every part names its write, so a torn mix of two writes is detectable. */
const valueOf = (tag: string) => `${tag}:` + `${tag}|`.repeat(200) + `:end-${tag}`;

test('a vault path swapped for a symlink during hundreds of writes never sends a value or a temp file elsewhere', async () => {
  agent = await startTestAgent(root);
  const vault = agent.vaultDir;
  const other = join(root, 'other');
  await fs.mkdir(other, { mode: 0o700 });
  await fs.writeFile(join(other, 'DECOY_KEY.txt'), 'decoy', { mode: 0o600 });

  let swaps = 0;
  let out = '';
  swapper = spawn(process.execPath, ['-e', SWAPPER, vault, join(root, 'vault-moved'), other], { stdio: ['ignore', 'pipe', 'pipe'] });
  swapper.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    swaps = Number([...out.matchAll(/swaps (\d+)/g)].at(-1)?.[1] ?? 0);
  });
  swapper.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const restored = new Promise<void>((resolve, reject) => {
    swapper!.stdout!.on('data', () => out.includes('restored') && resolve());
    swapper!.once('exit', (code) => (out.includes('restored') ? resolve() : reject(new Error(`the swapper stopped (${code}): ${out}`))));
  });

  // 20 writers over 10 names, until at least 400 writes were made and 200 swaps happened meanwhile.
  const NAMES = Array.from({ length: 10 }, (_, i) => `SWAP_KEY_${i}`);
  const accepted = new Map<string, Set<string>>(NAMES.map((n) => [n, new Set()]));
  const listed = new Set<string>();
  let writes = 0;
  let refused = 0;
  const enough = () => writes >= 400 && swaps >= 200;
  await Promise.all(
    Array.from({ length: 20 }, async (_, w) => {
      const c = createVaultClient(agent!.socketPath);
      for (let i = 0; !enough(); i++) {
        const name = NAMES[(w + i) % NAMES.length]!;
        const value = valueOf(`w${w}-${i}`);
        const r = await c.put(name, value);
        writes++;
        if (r.ok) accepted.get(name)!.add(value);
        else {
          refused++;
          expect(r).toMatchObject({ code: 'write_failed' }); // "the vault dir was replaced": said, not silent
        }
        if (i % 10 === 0) {
          const l = await c.list();
          if (l.ok) for (const s of l.secrets) listed.add(s.name);
        }
      }
      c.close();
    }),
  );
  swapper.kill('SIGTERM');
  await restored;

  // Nothing ever reached the other directory: only its decoy, untouched.
  expect(await fs.readdir(other)).toEqual(['DECOY_KEY.txt']);
  expect(await fs.readFile(join(other, 'DECOY_KEY.txt'), 'utf8')).toBe('decoy');
  expect(listed.has('DECOY_KEY')).toBe(false);
  // No temp file anywhere, and each name ends with exactly one whole value that was accepted.
  const entries = await fs.readdir(vault);
  expect(entries.filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  expect((await fs.readdir(root)).sort()).toEqual(['other', 'run', 'vault']);
  for (const name of NAMES) {
    if (accepted.get(name)!.size === 0) continue;
    const content = await fs.readFile(join(vault, `${name}.txt`), 'utf8');
    expect(accepted.get(name)!.has(content), `${name} holds a value that was not accepted whole`).toBe(true);
  }
  expect(writes - refused).toBeGreaterThan(0);
}, 120_000);

test('a write that fails after its temp file was created removes the temp file, and says so without the value', async () => {
  agent = await startTestAgent(root);
  // A directory at the target name: the temp file is written and synced, then the rename fails.
  await fs.mkdir(join(agent.vaultDir, 'BLOCKED_KEY.txt'));
  const c = createVaultClient(agent.socketPath);
  const VALUE = 'value-that-must-not-stay-anywhere';
  const r = await c.put('BLOCKED_KEY', VALUE);
  c.close();
  expect(r).toMatchObject({ ok: false, code: 'write_failed' });
  expect(JSON.stringify(r)).not.toContain(VALUE);
  expect((await fs.readdir(agent.vaultDir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
});
