/**
 * Every bad name and every bad value or body gets its 4xx code before anything touches the disk,
 * and no response echoes what was sent.
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_BODY_BYTES } from '../src/validate.ts';
import { canary, expectPrivateModes, privateTempDir, putRaw, rawRequest, removeDir, startTestAgent, type TestAgent } from './helpers.ts';

let root: string;
let agent: TestAgent;
const CANARY = canary();

beforeAll(async () => {
  root = await privateTempDir();
  agent = await startTestAgent(root);
});
afterAll(async () => {
  await agent.close();
  await removeDir(root);
});

/** Nothing but the audit log in the vault dir, and nothing new beside it. */
async function expectNoKeyFiles(): Promise<void> {
  expect((await fs.readdir(agent.vaultDir)).sort()).toEqual(['audit.jsonl']);
  expect((await fs.readdir(root)).sort()).toEqual(['run', 'vault']);
}

const badNames: [string, string][] = [
  ['dot-dot traversal', '../x'],
  ['encoded traversal', '..%2Fx'],
  ['encoded traversal to an upper-case name', '%2E%2E%2FKEY'],
  ['slash', 'a/b'],
  ['upper-case slash', 'A/B'],
  ['encoded slash', 'A%2FB'],
  ['hidden file', '.hidden'],
  ['empty', ''],
  ['lower case', 'api_key'],
  ['mixed case', 'Api_KEY'],
  ['leading digit', '1KEY'],
  ['leading underscore', '_KEY'],
  ['NUL', 'KEY%00X'],
  ['dash', 'API-KEY'],
  ['dot suffix', 'KEY.txt'],
  ['Cyrillic A look-alike', encodeURIComponent('\u0410PI_KEY')],
  ['fullwidth look-alike', encodeURIComponent('\uFF21PI_KEY')],
  ['zero-width space', encodeURIComponent('API\u200BKEY')],
  ['encoded space', 'API%20KEY'],
  ['129 characters', 'A'.repeat(129)],
];

describe('names', () => {
  test.each(badNames)('a bad name (%s) is refused with invalid_name and creates no file', async (_label, name) => {
    const r = await putRaw(agent.socketPath, name, JSON.stringify({ value: CANARY }));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ ok: false, code: 'invalid_name' });
    expect(r.text).not.toContain(CANARY);
    await expectNoKeyFiles();
  });

  test('a name of exactly 128 characters is accepted', async () => {
    const name = 'A'.repeat(128);
    const r = await putRaw(agent.socketPath, name, JSON.stringify({ value: 'v' }));
    expect(r.status).toBe(200);
    await rawRequest(agent.socketPath, 'DELETE', `/v1/secrets/${name}`);
  });

  test('GET and DELETE refuse bad names too', async () => {
    expect((await rawRequest(agent.socketPath, 'GET', '/v1/secrets/api_key')).json.code).toBe('invalid_name');
    expect((await rawRequest(agent.socketPath, 'DELETE', '/v1/secrets/..%2Fvault')).json.code).toBe('invalid_name');
  });
});

const json = (v: unknown) => JSON.stringify(v);
const badBodies: [string, string | Buffer, number, string, string?][] = [
  ['an empty value', json({ value: '' }), 400, 'invalid_value'],
  ['a leading space', json({ value: ` ${CANARY}` }), 400, 'invalid_value'],
  ['a trailing space', json({ value: `${CANARY} ` }), 400, 'invalid_value'],
  ['a trailing newline', json({ value: `${CANARY}\n` }), 400, 'invalid_value'],
  ['a leading tab', json({ value: `\t${CANARY}` }), 400, 'invalid_value'],
  ['a trailing no-break space', json({ value: `${CANARY}\u00A0` }), 400, 'invalid_value'],
  ['a NUL inside', json({ value: `${CANARY}\u0000x` }), 400, 'invalid_value'],
  ['an unpaired surrogate', `{"value":"${CANARY}\\ud800"}`, 400, 'invalid_value'],
  ['a number value', json({ value: 12345 }), 400, 'invalid_value'],
  ['a null value', json({ value: null }), 400, 'invalid_value'],
  ['an object value', json({ value: { v: CANARY } }), 400, 'invalid_value'],
  ['65537 bytes', json({ value: CANARY + 'x'.repeat(65537 - CANARY.length) }), 413, 'too_large'],
  ['65537 bytes of two-byte characters', json({ value: 'é'.repeat(32768) + 'x' }), 413, 'too_large'],
  ['a missing value field', json({}), 400, 'invalid_body'],
  ['an extra field', json({ value: CANARY, note: 'x' }), 400, 'invalid_body'],
  ['a JSON array', json([CANARY]), 400, 'invalid_body'],
  ['a JSON string', json(CANARY), 400, 'invalid_body'],
  ['malformed JSON', `{"value":"${CANARY}"`, 400, 'invalid_json'],
  ['invalid UTF-8', Buffer.concat([Buffer.from(`{"value":"${CANARY}`), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]), 400, 'invalid_body'],
  ['text/plain', json({ value: CANARY }), 415, 'unsupported_media_type', 'text/plain'],
  ['form encoding', `value=${CANARY}`, 415, 'unsupported_media_type', 'application/x-www-form-urlencoded'],
  ['a non-UTF-8 charset', json({ value: CANARY }), 415, 'unsupported_media_type', 'application/json; charset=iso-8859-1'],
  ['an oversized body', json({ value: CANARY + 'x'.repeat(MAX_BODY_BYTES) }), 413, 'too_large'],
];

describe('values and bodies', () => {
  test.each(badBodies)('a body with %s gets %i %s and creates no file', async (_label, body, status, code, ct) => {
    const r = await putRaw(agent.socketPath, 'GOOD_NAME', body, ct);
    expect(r.status).toBe(status);
    expect(r.json).toMatchObject({ ok: false, code });
    expect(r.text).not.toContain(CANARY);
    await expectNoKeyFiles();
  });

  test('a missing Content-Type is refused with unsupported_media_type', async () => {
    const body = json({ value: CANARY });
    const r = await rawRequest(agent.socketPath, 'PUT', '/v1/secrets/GOOD_NAME', { headers: { 'content-length': body.length }, body });
    expect(r.json.code).toBe('unsupported_media_type');
    await expectNoKeyFiles();
  });

  test('an oversized chunked body (no Content-Length) is refused with too_large while streaming', async () => {
    const body = json({ value: 'x'.repeat(MAX_BODY_BYTES + 10) });
    const r = await rawRequest(agent.socketPath, 'PUT', '/v1/secrets/GOOD_NAME', { headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, body });
    expect(r.status).toBe(413);
    expect(r.json.code).toBe('too_large');
    await expectNoKeyFiles();
  });

  test('a value of exactly 65536 bytes (multi-byte characters) is stored whole', async () => {
    const value = 'é'.repeat(32768);
    const r = await putRaw(agent.socketPath, 'BIG_KEY', json({ value }));
    expect(r.status).toBe(200);
    expect(await fs.readFile(join(agent.vaultDir, 'BIG_KEY.txt'), 'utf8')).toBe(value);
    await rawRequest(agent.socketPath, 'DELETE', '/v1/secrets/BIG_KEY');
  });

  test('refused requests are audited by code, and no log line or audit record holds what was sent', async () => {
    const audit = await fs.readFile(agent.auditLogPath, 'utf8');
    expect(audit).not.toContain(CANARY);
    expect(agent.logs.join('\n')).not.toContain(CANARY);
    const outcomes = audit.trim().split('\n').map((l) => JSON.parse(l).outcome as string);
    expect(outcomes).toEqual(expect.arrayContaining(['invalid_name', 'invalid_value', 'too_large', 'invalid_body', 'invalid_json', 'unsupported_media_type']));
    expect(await expectPrivateModes(agent)).toEqual([]);
  });
});

describe('routes', () => {
  test('exactly the five routes answer; anything else is a JSON 404 or 405', async () => {
    expect((await rawRequest(agent.socketPath, 'GET', '/v1/health')).json).toEqual({ ok: true });
    const notFound = await rawRequest(agent.socketPath, 'GET', '/v1/secret');
    expect([notFound.status, notFound.json.code]).toEqual([404, 'not_found']);
    expect((await rawRequest(agent.socketPath, 'GET', '/')).status).toBe(404);
    const post = await rawRequest(agent.socketPath, 'POST', '/v1/secrets/GOOD_NAME');
    expect([post.status, post.json.code, post.headers.allow]).toEqual([405, 'method_not_allowed', 'GET, PUT, DELETE']);
    expect((await rawRequest(agent.socketPath, 'PUT', '/v1/health')).status).toBe(405);
    expect((await rawRequest(agent.socketPath, 'DELETE', '/v1/secrets')).status).toBe(405);
    for (const r of [notFound, post]) expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('a value in a query string is refused, never stored, never logged', async () => {
    const r = await rawRequest(agent.socketPath, 'PUT', `/v1/secrets/GOOD_NAME?value=${CANARY}`, { headers: { 'content-type': 'application/json' }, body: '{"value":"x"}' });
    expect([r.status, r.json.code]).toEqual([400, 'invalid_request']);
    expect(r.text + agent.logs.join('\n')).not.toContain(CANARY);
    await expectNoKeyFiles();
  });

  test('GET and DELETE with a body are refused (a value sent there is never read)', async () => {
    const body = json({ value: CANARY });
    const r = await rawRequest(agent.socketPath, 'DELETE', '/v1/secrets/GOOD_NAME', { headers: { 'content-type': 'application/json', 'content-length': body.length }, body });
    expect([r.status, r.json.code]).toEqual([400, 'invalid_body']);
  });

  test('status of an unset key is set:false with updated_at null; deleting it is not_found', async () => {
    expect((await rawRequest(agent.socketPath, 'GET', '/v1/secrets/NEVER_SET')).json).toEqual({ ok: true, name: 'NEVER_SET', set: false, updated_at: null });
    const del = await rawRequest(agent.socketPath, 'DELETE', '/v1/secrets/NEVER_SET');
    expect([del.status, del.json.code]).toEqual([404, 'not_found']);
  });
});

describe('malformed HTTP', () => {
  test('a request that is not HTTP still gets a JSON 400', async () => {
    const { connect } = await import('node:net');
    const text = await new Promise<string>((resolve, reject) => {
      let out = '';
      const s = connect(agent.socketPath, () => s.write(`NOT HTTP ${CANARY}\r\n\r\n`));
      s.on('data', (c) => (out += c.toString()));
      s.on('end', () => resolve(out));
      s.on('error', reject);
    });
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(text).toContain('"code":"invalid_request"');
    expect(text).not.toContain(CANARY);
  });
});
