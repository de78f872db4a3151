/**
 * The proof that an agent is the child its parent started (proof.ts): the key comes in on an
 * inherited descriptor, `GET /v1/health?challenge=C` answers HMAC(key, C), plain health keeps the
 * contract's `{"ok":true}`, and the key never shows in argv, environment, output or a response.
 */
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { newChallenge, newProofKey, PROOF_FD_ENV, proofFor, proofMatches } from '../src/proof.ts';
import { privateTempDir, rawRequest, removeDir, startTestAgent } from './helpers.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');
let root: string;
beforeEach(async () => {
  root = await privateTempDir();
});
afterEach(async () => {
  await removeDir(root);
});

test('an agent given a key answers a challenge with HMAC(key, challenge); plain health stays {"ok":true}', async () => {
  const key = newProofKey();
  const agent = await startTestAgent(root, { proofKey: key });
  const c = createVaultClient(agent.socketPath);
  const challenge = newChallenge();
  const answer = await c.challenge(challenge);
  expect(answer).toEqual({ ok: true, proof: proofFor(key, challenge) });
  expect(answer.ok && proofMatches(key, challenge, answer.proof)).toBe(true);
  expect(proofMatches(newProofKey(), challenge, answer.ok && answer.proof)).toBe(false); // another key's proof differs
  expect(proofMatches(key, newChallenge(), answer.ok && answer.proof)).toBe(false); // and so does another challenge's
  expect(await c.health()).toEqual({ ok: true });
  c.close();
  await agent.close();
});

test('an agent started by hand (no key) answers a challenge without a proof', async () => {
  const agent = await startTestAgent(root);
  const c = createVaultClient(agent.socketPath);
  expect(await c.challenge(newChallenge())).toEqual({ ok: true });
  c.close();
  await agent.close();
});

test('a malformed challenge, or any other query string, is refused 400 invalid_request', async () => {
  const agent = await startTestAgent(root, { proofKey: newProofKey() });
  for (const target of ['/v1/health?challenge=short', '/v1/health?challenge=' + 'x'.repeat(200), '/v1/health?challenge=abc%2Fdefghijklmnopq', '/v1/health?x=1', '/v1/secrets?challenge=abcdefghijklmnopqrst']) {
    const r = await rawRequest(agent.socketPath, 'GET', target);
    expect([r.status, r.json.code], target).toEqual([400, 'invalid_request']);
  }
  expect((await rawRequest(agent.socketPath, 'POST', `/v1/health?challenge=${newChallenge()}`)).status).toBe(405);
  await agent.close();
});

/** Starts main.ts with the key written (as hex) on fd 3, as npm start does. */
function spawnWithKey(keyText: string) {
  const sock = join(root, 'run', 'a.sock');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, '--vault-dir', join(root, 'vault'), '--socket', sock], {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { ...process.env, VAULT_AGE_RECIPIENTS: '', [PROOF_FD_ENV]: '3' },
  });
  (child.stdio[3] as Writable).end(keyText);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, sock, output: () => out, exited };
}

test('npm run vault-agent takes the key from the descriptor VAULT_AGENT_PROOF_FD names; it shows in no argv, environment or output', async () => {
  const key = newProofKey();
  const hex = key.toString('hex');
  const a = spawnWithKey(hex);
  const c = createVaultClient(a.sock);
  let answer = await c.challenge('0123456789abcdef0123');
  while (!answer.ok) {
    expect(answer.code).toBe('unavailable'); // still starting
    await new Promise((r) => setTimeout(r, 50));
    answer = await c.challenge('0123456789abcdef0123');
  }
  expect(proofMatches(key, '0123456789abcdef0123', answer.proof)).toBe(true);
  const proc = `/proc/${a.child.pid}`;
  expect(readFileSync(`${proc}/cmdline`, 'utf8')).not.toContain(hex);
  expect(readFileSync(`${proc}/environ`, 'utf8')).not.toContain(hex);
  c.close();
  a.child.kill('SIGTERM');
  expect(await a.exited).toBe(0);
  expect(a.output()).not.toContain(hex);
});

test('a garbled key on the descriptor stops the agent with a message, before it listens', async () => {
  const a = spawnWithKey('not-a-key');
  expect(await a.exited).toBe(1);
  expect(a.output().trim()).toBe(`The proof key on descriptor 3 is not 32 bytes of hex; it is set by npm start.`);
  await expect(fs.lstat(a.sock)).rejects.toMatchObject({ code: 'ENOENT' });
});
