/**
 * The client: results, never throws; 'unavailable' when nothing answers; 'untrusted_socket' (and
 * nothing sent) when the socket's directory could be someone else's; never the value in a failure.
 */
import { promises as fs } from 'node:fs';
import { spawn } from 'node:child_process';
import http from 'node:http';
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

/** A process answering like an agent on `sock`, recording every request it gets. */
async function recordingImpostor(sock: string): Promise<{ requests: string[]; close: () => Promise<void> }> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, name: 'X', updated_at: new Date().toISOString(), secrets: [] }));
  });
  await new Promise<void>((r) => server.listen(sock, r));
  return { requests, close: () => new Promise((r) => server.close(() => r())) };
}

test.each([
  ['open to others', async (dir: string) => fs.chmod(dir, 0o755), /its directory .*open to group or others \(mode 755\)/],
  ['owned by another user', async (dir: string) => fs.chown(dir, 65534, 65534), /its directory .* is owned by uid 65534, not by this user/],
])('the client sends nothing to a socket whose directory is %s', async (_what, spoil, why) => {
  const dir = join(root, 'elsewhere');
  await fs.mkdir(dir, { mode: 0o700 });
  const impostor = await recordingImpostor(join(dir, 'vault.sock'));
  await spoil(dir);
  const c = createVaultClient(join(dir, 'vault.sock'));
  const CANARY = canary();
  const results = [await c.health(), await c.put('A_KEY', CANARY), await c.list()];
  c.close();
  for (const r of results) {
    expect(r).toMatchObject({ ok: false, code: 'untrusted_socket' });
    expect((r as { message: string }).message).toMatch(why);
  }
  expect(JSON.stringify(results)).not.toContain(CANARY);
  expect(impostor.requests).toEqual([]);
  await impostor.close();
});

test('the client sends nothing through a socket directory that is a symbolic link', async () => {
  await fs.mkdir(join(root, 'real'), { mode: 0o700 });
  const impostor = await recordingImpostor(join(root, 'real', 'vault.sock'));
  await fs.symlink(join(root, 'real'), join(root, 'linked'));
  const c = createVaultClient(join(root, 'linked', 'vault.sock'));
  expect(await c.put('A_KEY', 'some-value')).toMatchObject({ ok: false, code: 'untrusted_socket', message: expect.stringMatching(/is a symbolic link/) });
  c.close();
  expect(impostor.requests).toEqual([]);
  await impostor.close();
});
