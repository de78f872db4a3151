/**
 * The vault reader on plain key files: exact values, missing keys named with where to set them,
 * refused links, the newer file winning when both formats exist, and errors free of values.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { loadSecret, loadSecrets, VaultReadError } from '../reader/index.ts';
import { canary, privateTempDir, removeDir } from './helpers.ts';

let vaultDir: string;
beforeEach(async () => {
  vaultDir = await privateTempDir();
});
afterEach(async () => {
  await removeDir(vaultDir);
});

const write = (file: string, text: string) => fs.writeFile(join(vaultDir, file), text, { mode: 0o600 });
const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a rejection'); }, (e: unknown) => e as VaultReadError);

test('loadSecret returns exactly the file content, inner newlines and unicode included', async () => {
  const value = '-----BEGIN KEY-----\nabc\u00e9\u{1F511}\n-----END KEY-----';
  await write('PEM_KEY.txt', value);
  expect(await loadSecret('PEM_KEY', { vaultDir })).toBe(value);
});

test('VAULT_DIR is the default vault dir', async () => {
  await write('ENV_KEY.txt', 'from-env');
  const saved = process.env.VAULT_DIR;
  process.env.VAULT_DIR = vaultDir;
  try {
    expect(await loadSecret('ENV_KEY')).toBe('from-env');
  } finally {
    if (saved === undefined) delete process.env.VAULT_DIR;
    else process.env.VAULT_DIR = saved;
  }
});

test('a missing key fails naming the key, the vault and where to set it', async () => {
  const e = await failure(loadSecret('PROVIDER_ACME_API_KEY', { vaultDir }));
  expect(e).toBeInstanceOf(VaultReadError);
  expect([e.code, e.key]).toEqual(['missing', 'PROVIDER_ACME_API_KEY']);
  expect(e.message).toBe(
    `Key PROVIDER_ACME_API_KEY is not set in the vault (${vaultDir}). Set it on the God Config site at http://127.0.0.1:4321/connectors/<slug> or with PUT /v1/secrets/PROVIDER_ACME_API_KEY to the vault-agent (npm start or npm run vault-agent).`,
  );
  const hinted = await failure(loadSecret('PROVIDER_ACME_API_KEY', { vaultDir, setUrl: 'http://127.0.0.1:4321/connectors/acme' }));
  expect(hinted.message).toContain('at http://127.0.0.1:4321/connectors/acme or with PUT /v1/secrets/PROVIDER_ACME_API_KEY');
});

test('loadSecrets returns the values found and names every key not set', async () => {
  await write('A_KEY.txt', 'a');
  await write('C_KEY.txt', 'c');
  const r = await loadSecrets([{ key: 'A_KEY' }, { key: 'B_KEY' }, { key: 'C_KEY', optional: true }, { key: 'D_KEY', optional: true }], { vaultDir });
  expect(r).toEqual({ values: { A_KEY: 'a', C_KEY: 'c' }, missing: ['B_KEY', 'D_KEY'] });
});

test('loadSecrets rejects with a typed error when a key file exists but cannot be used', async () => {
  await write('A_KEY.sops.json', '{"value":"x"}');
  const e = await failure(loadSecrets([{ key: 'A_KEY' }], { vaultDir, ageIdentity: 'AGE-SECRET-KEY-1QXRVEJH9S4NQU0FPD6V79ESZQ8S6PXH3L8V40EVPTHFH6KNKD4DQ7SKC4P' }));
  expect([e.code, e.key]).toEqual(['malformed', 'A_KEY']);
  expect(e.message).toMatch(/A_KEY.*no sops metadata/);
});

test('a symlinked key file is refused, not followed', async () => {
  const CANARY = canary();
  await fs.writeFile(join(vaultDir, 'elsewhere'), CANARY);
  await fs.symlink(join(vaultDir, 'elsewhere'), join(vaultDir, 'LINKED_KEY.txt'));
  const e = await failure(loadSecret('LINKED_KEY', { vaultDir }));
  expect([e.code, e.key]).toEqual(['unsafe_file', 'LINKED_KEY']);
  expect(e.message).not.toContain(CANARY);
});

test('invalid names are refused without being echoed', async () => {
  for (const bad of ['../etc/passwd', 'lower', '', 'A'.repeat(129), 'A/B']) {
    const e = await failure(loadSecret(bad, { vaultDir }));
    expect(e.code).toBe('invalid_name');
    if (bad) expect(e.message).not.toContain(bad);
  }
});

test('an empty or non-UTF-8 key file is malformed, and the error holds no content', async () => {
  await write('EMPTY_KEY.txt', '');
  expect((await failure(loadSecret('EMPTY_KEY', { vaultDir }))).code).toBe('malformed');
  const CANARY = canary();
  await fs.writeFile(join(vaultDir, 'BIN_KEY.txt'), Buffer.concat([Buffer.from(CANARY), Buffer.from([0xff])]));
  const e = await failure(loadSecret('BIN_KEY', { vaultDir }));
  expect(e.code).toBe('malformed');
  expect(e.message).not.toContain(CANARY);
});

test('when both formats exist (a writer died between rename and unlink) the newer file wins', async () => {
  await write('BOTH_KEY.sops.json', '{"not":"used"}');
  await fs.utimes(join(vaultDir, 'BOTH_KEY.sops.json'), new Date('2020-01-01'), new Date('2020-01-01'));
  await write('BOTH_KEY.txt', 'newer-plain');
  expect(await loadSecret('BOTH_KEY', { vaultDir })).toBe('newer-plain');
});
