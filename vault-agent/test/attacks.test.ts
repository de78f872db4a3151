/**
 * Symlink and hardlink attacks on the target and temp names never redirect a write: the victim
 * file stays untouched and the key lands in a fresh private file.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { expectPrivateModes, privateTempDir, removeDir, startTestAgent, type TestAgent } from './helpers.ts';

let root: string;
let agent: TestAgent | undefined;
let victim: string;
const VICTIM_TEXT = 'victim: must never change';

beforeEach(async () => {
  root = await privateTempDir();
  victim = join(root, 'victim.txt');
  await fs.writeFile(victim, VICTIM_TEXT, { mode: 0o644 });
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await removeDir(root);
});

async function expectVictimUntouched(): Promise<void> {
  expect(await fs.readFile(victim, 'utf8')).toBe(VICTIM_TEXT);
  expect((await fs.stat(victim)).mode & 0o777).toBe(0o644);
}

async function put(name: string, value: string) {
  const c = createVaultClient(agent!.socketPath);
  const r = await c.put(name, value);
  c.close();
  return r;
}

test('a symlink planted at the target name is replaced, not followed', async () => {
  agent = await startTestAgent(root);
  await fs.symlink(victim, join(agent.vaultDir, 'API_KEY.txt'));
  expect(await put('API_KEY', 'new-value')).toMatchObject({ ok: true });
  await expectVictimUntouched();
  const st = await fs.lstat(join(agent.vaultDir, 'API_KEY.txt'));
  expect(st.isFile()).toBe(true);
  expect(await fs.readFile(join(agent.vaultDir, 'API_KEY.txt'), 'utf8')).toBe('new-value');
  expect(await expectPrivateModes(agent)).toEqual([]);
});

test('a hardlink planted at the target name is replaced, the other link keeps its content', async () => {
  agent = await startTestAgent(root);
  await fs.link(victim, join(agent.vaultDir, 'API_KEY.txt'));
  expect(await put('API_KEY', 'new-value')).toMatchObject({ ok: true });
  await expectVictimUntouched();
  const st = await fs.stat(join(agent.vaultDir, 'API_KEY.txt'));
  expect(st.nlink).toBe(1);
  expect(st.ino).not.toBe((await fs.stat(victim)).ino);
  expect(await fs.readFile(join(agent.vaultDir, 'API_KEY.txt'), 'utf8')).toBe('new-value');
});

test('symlinks and hardlinks planted at the temp names make the writer pick another name', async () => {
  let n = 0;
  // Predictable names for the first tries (real names are 96 random bits), so attacks can be planted.
  const tempName = (key: string) => (n < 3 ? `.tmp-${key}.planted-${n++}` : `.tmp-${key}.fresh-${n++}`);
  agent = await startTestAgent(root, { tempName });
  await fs.symlink(victim, join(agent.vaultDir, '.tmp-API_KEY.planted-0'));
  await fs.link(victim, join(agent.vaultDir, '.tmp-API_KEY.planted-1'));
  await fs.symlink(join(root, 'does-not-exist-yet'), join(agent.vaultDir, '.tmp-API_KEY.planted-2'));
  expect(await put('API_KEY', 'new-value')).toMatchObject({ ok: true });
  await expectVictimUntouched();
  await expect(fs.access(join(root, 'does-not-exist-yet'))).rejects.toThrow(); // a dangling link was not created through
  expect(await fs.readFile(join(agent.vaultDir, 'API_KEY.txt'), 'utf8')).toBe('new-value');
  expect(n).toBe(4); // three refused names, then the fourth
});

test('a symlink at the other format name is removed, never written through or chmod-ed', async () => {
  agent = await startTestAgent(root);
  await fs.symlink(victim, join(agent.vaultDir, 'API_KEY.sops.json'));
  expect(await put('API_KEY', 'new-value')).toMatchObject({ ok: true });
  await expectVictimUntouched();
  await expect(fs.lstat(join(agent.vaultDir, 'API_KEY.sops.json'))).rejects.toMatchObject({ code: 'ENOENT' });
});

test('status and list ignore a planted symlink; start-up does not chmod through it', async () => {
  await fs.mkdir(join(root, 'vault'), { mode: 0o700 });
  await fs.symlink(victim, join(root, 'vault', 'LINKED_KEY.txt'));
  agent = await startTestAgent(root);
  await expectVictimUntouched();
  const c = createVaultClient(agent.socketPath);
  expect(await c.status('LINKED_KEY')).toMatchObject({ ok: true, set: false });
  expect(await c.list()).toEqual({ ok: true, secrets: [] });
  c.close();
});

test('a delete through a symlinked key name removes the link only', async () => {
  agent = await startTestAgent(root);
  await fs.symlink(victim, join(agent.vaultDir, 'API_KEY.txt'));
  const c = createVaultClient(agent.socketPath);
  expect(await c.remove('API_KEY')).toEqual({ ok: true });
  c.close();
  await expectVictimUntouched();
});
