/**
 * Per-name serialization and durability under load: 100 concurrent PUTs to one name end with
 * exactly one of the values, whole; 1,000 writes across 50 names lose nothing.
 */
import { promises as fs, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { randomTempName } from '../src/atomic-write.ts';
import { createVaultClient } from '../src/client.ts';
import { expectPrivateModes, privateTempDir, removeDir, startTestAgent, type TestAgent } from './helpers.ts';

let root: string;
let agent: TestAgent;
beforeAll(async () => {
  root = await privateTempDir();
  agent = await startTestAgent(root);
});
afterAll(async () => {
  await agent.close();
  await removeDir(root);
});

/** A value whose every part says which write it came from, so a torn mix is detectable. */
const valueOf = (tag: string, size: number) => `${tag}:` + `${tag}|`.repeat(Math.ceil(size / (tag.length + 1))).slice(0, size) + `:end-${tag}`;

test('100 concurrent PUTs of different values to one name end with exactly one of them, whole', async () => {
  const clients = Array.from({ length: 100 }, () => createVaultClient(agent.socketPath)); // 100 connections
  const values = clients.map((_, i) => valueOf(`writer-${i}`, 20_000));
  const results = await Promise.all(clients.map((c, i) => c.put('CONTENDED_KEY', values[i]!)));
  for (const c of clients) c.close();
  expect(results.filter((r) => r.ok)).toHaveLength(100);
  const final = await fs.readFile(join(agent.vaultDir, 'CONTENDED_KEY.txt'), 'utf8');
  expect(values.filter((v) => v === final)).toHaveLength(1);
  const entries = await fs.readdir(agent.vaultDir);
  expect(entries.filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  // The last acknowledged write is the one on disk: status reports its time.
  const latest = results.map((r) => (r.ok ? r.updated_at : '')).sort().at(-1);
  const winner = results[values.indexOf(final)]!;
  expect(winner.ok && winner.updated_at).toBe(latest);
  const c = createVaultClient(agent.socketPath);
  expect(await c.status('CONTENDED_KEY')).toMatchObject({ set: true, updated_at: latest });
  c.close();
});

test('1,000 writes across 50 names by 50 concurrent clients lose nothing', async () => {
  const clients = Array.from({ length: 50 }, () => createVaultClient(agent.socketPath));
  const acks = await Promise.all(
    clients.map(async (c, i) => {
      let ok = 0;
      for (let n = 0; n < 20; n++) if ((await c.put(`LOAD_KEY_${i}`, valueOf(`k${i}-n${n}`, 200))).ok) ok++;
      return ok;
    }),
  );
  expect(acks.reduce((a, b) => a + b, 0)).toBe(1000);
  for (let i = 0; i < 50; i++) {
    expect(await fs.readFile(join(agent.vaultDir, `LOAD_KEY_${i}.txt`), 'utf8')).toBe(valueOf(`k${i}-n19`, 200));
  }
  const list = await clients[0]!.list();
  expect(list.ok && list.secrets.filter((s) => s.name.startsWith('LOAD_KEY_')).length).toBe(50);
  for (const c of clients) c.close();
  const audit = (await fs.readFile(agent.auditLogPath, 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(audit.filter((r) => r.name?.startsWith('LOAD_KEY_') && r.outcome === 'ok')).toHaveLength(1000);
  expect(await expectPrivateModes(agent)).toEqual([]);
});

test('writes to one name never overlap: each starts only after the previous one is renamed into place', async () => {
  const dir = await privateTempDir();
  let overlaps = 0;
  let starts = 0;
  const seq = await startTestAgent(dir, {
    // Called as a write creates its temp file: no other temp file for that name may exist then.
    tempName: (key) => {
      starts++;
      overlaps += readdirSync(join(dir, 'vault')).filter((f) => f.startsWith(`.tmp-${key}.`)).length;
      return randomTempName(key);
    },
  });
  const clients = Array.from({ length: 40 }, () => createVaultClient(seq.socketPath));
  const results = await Promise.all(clients.map((c, i) => c.put('SERIAL_KEY', valueOf(`s${i}`, 5_000))));
  for (const c of clients) c.close();
  await seq.close();
  await removeDir(dir);
  expect(results.every((r) => r.ok)).toBe(true);
  expect(starts).toBe(40);
  expect(overlaps).toBe(0);
});
