/**
 * A canary value written through the API appears only in its key file: never in a response, a log
 * line, the audit log, an error or a leftover temp file; and files stay 0600 in a 0700 dir after
 * every operation.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { canary, expectPrivateModes, privateTempDir, putRaw, removeDir, snapshotDir, startTestAgent, type TestAgent } from './helpers.ts';

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

test('a canary value reaches only its key file, and every operation leaves 0600 files in a 0700 dir', async () => {
  const CANARY = canary();
  const seen: string[] = []; // every byte any response carried
  const client = createVaultClient(agent.socketPath);
  const record = (r: unknown) => {
    seen.push(JSON.stringify(r));
    return r as Record<string, unknown>;
  };

  const put = record(await client.put('PROVIDER_ACME_API_KEY', CANARY));
  expect(put).toMatchObject({ ok: true, name: 'PROVIDER_ACME_API_KEY' });
  expect(new Date(put.updated_at as string).toISOString()).toBe(put.updated_at);
  expect(await expectPrivateModes(agent)).toEqual([]);

  const status = record(await client.status('PROVIDER_ACME_API_KEY'));
  expect(status).toEqual({ ok: true, name: 'PROVIDER_ACME_API_KEY', set: true, updated_at: put.updated_at });
  const list = record(await client.list());
  expect(list).toEqual({ ok: true, secrets: [{ name: 'PROVIDER_ACME_API_KEY', updated_at: put.updated_at }] });

  // Refusals that carry the canary in the body or in the wrong place.
  record(await client.put('PROVIDER_ACME_API_KEY', ` ${CANARY}`));
  record(await client.put('bad name', CANARY));
  record(await client.put(CANARY.toLowerCase(), CANARY));
  seen.push((await putRaw(agent.socketPath, 'PROVIDER_ACME_API_KEY', `{"value":"${CANARY}","x":1}`)).text);
  seen.push((await putRaw(agent.socketPath, 'PROVIDER_ACME_API_KEY', `{"value":"${CANARY}`)).text);
  seen.push((await putRaw(agent.socketPath, 'PROVIDER_ACME_API_KEY', JSON.stringify({ value: CANARY }), 'text/plain')).text);
  expect(await expectPrivateModes(agent)).toEqual([]);

  // Overwrite, then check the file holds exactly the value, no more (no newline, no envelope).
  const SECOND = canary();
  record(await client.put('PROVIDER_ACME_API_KEY', SECOND));
  expect(await fs.readFile(join(agent.vaultDir, 'PROVIDER_ACME_API_KEY.txt'), 'utf8')).toBe(SECOND);
  expect(await expectPrivateModes(agent)).toEqual([]);
  record(await client.put('PROVIDER_ACME_API_KEY', CANARY));
  expect(await fs.readFile(join(agent.vaultDir, 'PROVIDER_ACME_API_KEY.txt'), 'utf8')).toBe(CANARY);

  const all = seen.join('\n');
  expect(all).not.toContain(CANARY);
  expect(all).not.toContain(SECOND);
  expect(agent.logs.length).toBeGreaterThan(5);
  expect(agent.logs.join('\n')).not.toContain(CANARY);
  const audit = await fs.readFile(agent.auditLogPath, 'utf8');
  expect(audit).not.toContain(CANARY);
  expect(audit).not.toContain(SECOND);
  const records = audit.trim().split('\n').map((l) => JSON.parse(l));
  expect(records[0]).toMatchObject({ action: 'put', name: 'PROVIDER_ACME_API_KEY', outcome: 'ok', caller: { uid: process.getuid!(), pid: null } });
  expect(records[0].caller.claimed_client).toContain(`pid=${process.pid}`);
  expect(Object.keys(records[0]).sort()).toEqual(['action', 'caller', 'format', 'name', 'outcome', 'time']);

  // The canary is in exactly one file of the vault dir (and no temp file is left).
  const holders = (await snapshotDir(agent.vaultDir)).filter((e) => e.content?.includes(CANARY)).map((e) => e.name);
  expect(holders).toEqual(['PROVIDER_ACME_API_KEY.txt']);
  expect((await fs.readdir(agent.vaultDir)).filter((n) => n.startsWith('.tmp-'))).toEqual([]);

  record(await client.remove('PROVIDER_ACME_API_KEY'));
  expect(await expectPrivateModes(agent)).toEqual([]);
  expect((await fs.readdir(agent.vaultDir)).sort()).toEqual(['audit.jsonl']);
  expect(record(await client.status('PROVIDER_ACME_API_KEY'))).toMatchObject({ set: false, updated_at: null });
  client.close();
});

