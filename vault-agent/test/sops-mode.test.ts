/**
 * SOPS mode (VAULT_AGE_RECIPIENTS): the agent writes `{NAME}.sops.json` that our reader, the
 * sops-age package and the `age` command-line tool all open with the identity, the canary never
 * appears in clear in the vault, and writing one format removes the other.
 */
import { execFile } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { decryptSops as sopsAgeDecrypt } from 'sops-age';
import { afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import { createVaultClient } from '../src/client.ts';
import { loadSecret, VaultReadError } from '../reader/index.ts';
import { openValue, parseEncrypted } from '../sops/cipher.ts';
import { canary, expectPrivateModes, privateTempDir, rejectionOf, removeDir, snapshotDir, startTestAgent, type TestAgent } from './helpers.ts';

const run = promisify(execFile);
const FIXTURE_IDENTITY = readFileSync(resolve(import.meta.dirname, 'fixtures/sops/test-age-key.txt'), 'utf8');
const FIXTURE_RECIPIENT = 'age1je6kjhzuhdjy3fqptpttxjh5k8q46vygzlgtpuq3030c947pc5tqz9dqvr';
let second: { identity: string; recipient: string };

let root: string;
let agent: TestAgent | undefined;
beforeAll(async () => {
  const identity = await generateIdentity();
  second = { identity, recipient: await identityToRecipient(identity) };
});
beforeEach(async () => {
  root = await privateTempDir();
});
afterEach(async () => {
  await agent?.close();
  agent = undefined;
  await removeDir(root);
});

const sopsAgent = () => startTestAgent(root, { ageRecipients: `${FIXTURE_RECIPIENT}, ${second.recipient}` });

test('a SOPS key file opens with our reader, with sops-age, and its data key stanza with `age --decrypt`', async () => {
  agent = await sopsAgent();
  expect(agent.mode).toBe('sops');
  const CANARY = canary();
  const c = createVaultClient(agent.socketPath);
  expect(await c.put('SOPS_KEY', CANARY)).toMatchObject({ ok: true, name: 'SOPS_KEY' });
  c.close();
  const path = join(agent.vaultDir, 'SOPS_KEY.sops.json');
  const text = await fs.readFile(path, 'utf8');
  for (const e of await snapshotDir(agent.vaultDir)) expect(e.content ?? '').not.toContain(CANARY);
  expect(agent.logs.join('\n')).not.toContain(CANARY);
  expect(await expectPrivateModes(agent)).toEqual([]);

  // Our reader, with either identity.
  expect(await loadSecret('SOPS_KEY', { vaultDir: agent.vaultDir, ageIdentity: FIXTURE_IDENTITY })).toBe(CANARY);
  expect(await loadSecret('SOPS_KEY', { vaultDir: agent.vaultDir, ageIdentity: second.identity })).toBe(CANARY);

  // sops-age, given the key explicitly.
  const secretKey = FIXTURE_IDENTITY.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  expect(await sopsAgeDecrypt(text, { secretKey, fileType: 'json' })).toEqual({ value: CANARY });

  // The age CLI opens each recipient's stanza; the 32 bytes it yields are the data key of the value.
  const doc = JSON.parse(text);
  expect(doc.sops.age.map((a: { recipient: string }) => a.recipient)).toEqual([FIXTURE_RECIPIENT, second.recipient]);
  for (const [i, identity] of [FIXTURE_IDENTITY, second.identity].entries()) {
    await fs.writeFile(join(root, `stanza-${i}.age`), doc.sops.age[i].enc, { mode: 0o600 });
    await fs.writeFile(join(root, `id-${i}.txt`), identity + '\n', { mode: 0o600 });
    const { stdout } = await run('age', ['--decrypt', '-i', join(root, `id-${i}.txt`), join(root, `stanza-${i}.age`)], { encoding: 'buffer' });
    expect(stdout.length).toBe(32);
    expect(openValue(parseEncrypted(doc.value, 'value'), stdout, 'value:', 'value').toString('utf8')).toBe(CANARY);
  }
  // The document has the fields sops itself writes.
  expect(Object.keys(doc)).toEqual(['value', 'sops']);
  expect(doc.sops).toMatchObject({ lastmodified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), unencrypted_suffix: '_unencrypted', version: expect.any(String) });
  expect(doc.value).toMatch(/^ENC\[AES256_GCM,data:[^,]+,iv:[A-Za-z0-9+/]{43}=,tag:[^,]+,type:str\]$/);
});

test('our SOPS file with an altered lastmodified or value is rejected by the reader', async () => {
  agent = await sopsAgent();
  const c = createVaultClient(agent.socketPath);
  await c.put('SOPS_KEY', 'some-value');
  c.close();
  const path = join(agent.vaultDir, 'SOPS_KEY.sops.json');
  const doc = JSON.parse(await fs.readFile(path, 'utf8'));
  const altered = { ...doc, sops: { ...doc.sops, lastmodified: '2020-01-01T00:00:00Z' } };
  await fs.writeFile(path, JSON.stringify(altered));
  const e = await rejectionOf<VaultReadError>(loadSecret('SOPS_KEY', { vaultDir: agent.vaultDir, ageIdentity: FIXTURE_IDENTITY }));
  expect([e.code, e.key]).toEqual(['tampered', 'SOPS_KEY']);
  expect(e.message).toMatch(/SOPS_KEY.*failed verification.*Set it on the God Config site/);
  await fs.writeFile(path, JSON.stringify({ ...doc, value: doc.value.replace(/data:(.)/, (_m: string, ch: string) => `data:${ch === 'A' ? 'B' : 'A'}`) }));
  const v = await rejectionOf<VaultReadError>(loadSecret('SOPS_KEY', { vaultDir: agent.vaultDir, ageIdentity: FIXTURE_IDENTITY }));
  expect(v.code).toBe('tampered');
  expect(v.message).not.toContain('ENC[');
});

test('writing a key in one format removes its file in the other', async () => {
  agent = await startTestAgent(root);
  let c = createVaultClient(agent.socketPath);
  await c.put('SWITCH_KEY', 'plain-value');
  c.close();
  await agent.close();
  expect((await fs.readdir(join(root, 'vault'))).sort()).toEqual(['SWITCH_KEY.txt', 'audit.jsonl']);

  agent = await sopsAgent();
  c = createVaultClient(agent.socketPath);
  expect(await c.status('SWITCH_KEY')).toMatchObject({ set: true });
  await c.put('SWITCH_KEY', 'sops-value');
  c.close();
  await agent.close();
  expect((await fs.readdir(join(root, 'vault'))).sort()).toEqual(['SWITCH_KEY.sops.json', 'audit.jsonl']);
  expect(await loadSecret('SWITCH_KEY', { vaultDir: join(root, 'vault'), ageIdentity: second.identity })).toBe('sops-value');

  agent = await startTestAgent(root);
  c = createVaultClient(agent.socketPath);
  await c.put('SWITCH_KEY', 'plain-again');
  expect(await c.remove('SWITCH_KEY')).toEqual({ ok: true });
  c.close();
  expect((await fs.readdir(join(root, 'vault'))).sort()).toEqual(['audit.jsonl']);
  const audit = (await fs.readFile(join(root, 'vault', 'audit.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
  expect(audit.map((r) => `${r.action}:${r.format ?? '-'}:${r.outcome}`)).toEqual(['put:plain:ok', 'put:sops:ok', 'put:plain:ok', 'delete:-:ok']);
});

test('VAULT_AGE_IDENTITY_FILE supplies the identity when none is passed', async () => {
  agent = await sopsAgent();
  const c = createVaultClient(agent.socketPath);
  await c.put('ENV_ID_KEY', 'from-env-identity');
  c.close();
  await fs.writeFile(join(root, 'id.txt'), `# test identity\n${second.identity}\n`, { mode: 0o600 });
  const saved = process.env.VAULT_AGE_IDENTITY_FILE;
  process.env.VAULT_AGE_IDENTITY_FILE = join(root, 'id.txt');
  try {
    expect(await loadSecret('ENV_ID_KEY', { vaultDir: agent.vaultDir })).toBe('from-env-identity');
    delete process.env.VAULT_AGE_IDENTITY_FILE;
    const e = await rejectionOf<VaultReadError>(loadSecret('ENV_ID_KEY', { vaultDir: agent.vaultDir }));
    expect(e.code).toBe('no_identity');
    expect(e.message).toMatch(/ENV_ID_KEY.*no age identity was given.*VAULT_AGE_IDENTITY_FILE/);
  } finally {
    if (saved === undefined) delete process.env.VAULT_AGE_IDENTITY_FILE;
    else process.env.VAULT_AGE_IDENTITY_FILE = saved;
  }
});
