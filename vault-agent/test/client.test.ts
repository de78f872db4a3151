/** The client: results, never throws; 'unavailable' when nothing answers; never the value in a failure. */
import { promises as fs } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { measureVaultWrites } from '../src/bench.ts';
import { canary, privateTempDir, removeDir, startTestAgent } from './helpers.ts';

let root: string;
beforeEach(async () => {
  root = await privateTempDir();
});
afterEach(async () => {
  await removeDir(root);
});

test('a missing socket gives code unavailable for every method', async () => {
  const c = createVaultClient(join(root, 'nothing.sock'));
  for (const r of [await c.health(), await c.list(), await c.status('A_KEY'), await c.put('A_KEY', 'v'), await c.remove('A_KEY')]) {
    expect(r).toMatchObject({ ok: false, code: 'unavailable' });
    expect((r as { message: string }).message).toContain(join(root, 'nothing.sock'));
  }
  c.close();
});

test('a stale socket (its agent died) gives code unavailable', async () => {
  const sock = join(root, 'stale.sock');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}, () => process.kill(process.pid, 'SIGKILL'))`]);
  await new Promise((r) => child.once('exit', r));
  const c = createVaultClient(sock);
  expect(await c.health()).toMatchObject({ ok: false, code: 'unavailable' });
  c.close();
});

test('refusals come back as results with code and status, and never carry the value', async () => {
  const agent = await startTestAgent(root);
  const c = createVaultClient(agent.socketPath);
  const CANARY = canary();
  const results = [await c.put('A_KEY', `${CANARY}\n`), await c.put('a_key', CANARY), await c.put('A_KEY', CANARY + 'x'.repeat(70_000)), await c.put(CANARY, CANARY)];
  expect(results.map((r) => !r.ok && [r.code, r.status])).toEqual([
    ['invalid_value', 400],
    ['invalid_name', 400],
    ['too_large', 413],
    ['invalid_name', 400],
  ]);
  expect(JSON.stringify(results)).not.toContain(CANARY);
  expect(await c.put('A_KEY', CANARY)).toMatchObject({ ok: true, name: 'A_KEY' });
  expect(await c.remove('A_KEY')).toEqual({ ok: true });
  expect(await c.remove('A_KEY')).toMatchObject({ ok: false, code: 'not_found', status: 404 });
  c.close();
  await agent.close();
  expect(await c.health()).toMatchObject({ ok: false, code: 'unavailable' });
});

test('the bench measures the agent and the bare floor side by side', async () => {
  const r = await measureVaultWrites({ dir: join(root, 'bench'), clients: 10, writes: 100 });
  expect(r.vault_writes_per_s).toBeGreaterThan(0);
  expect(r.vault_floor_writes_per_s).toBeGreaterThan(0);
  expect(await fs.readdir(join(root, 'bench'))).toEqual([]); // it cleans up after itself
});
