/**
 * dummy_service as a real MCP server: spawned over stdio by the SDK's client from a temp copy of
 * its folder that the real sentinel synced and an operator approved (keys only at the approved
 * digest), its key in a real vault dir, talking to the stand-in API. Every JSON-RPC message and
 * every stderr byte is kept and searched for the key's canary value.
 */
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { runToExit, runtimeRepo, type RuntimeRepo } from '../../../pipeline/connector-runtime/test/approved-repo.ts';
import { recording } from '../../../pipeline/connector-runtime/test/helpers.ts';
import { startStandInApi, type StandInApi } from '../stand-in-api.ts';
import { canary, KEY_NAME, vaultWith } from './fixtures.ts';

const CANARY = canary();
const SERVER = join('connectors', 'dummy_service', 'server.ts');
let repo: RuntimeRepo;
let api: StandInApi;
let client: Client;
let traffic: JSONRPCMessage[];
let stderr = '';

beforeAll(async () => {
  repo = await runtimeRepo('pglite', { connectors: { dummy_service: undefined } });
  await repo.sync();
  await repo.approve('dummy_service');
  api = await startStandInApi({ apiKey: CANARY });
  const stdio = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', SERVER],
    cwd: repo.root,
    env: { ...getDefaultEnvironment(), VAULT_DIR: vaultWith({ [KEY_NAME]: CANARY }), DUMMY_SERVICE_BASE_URL: api.url, DATABASE_URL: repo.db.url },
    stderr: 'pipe',
  });
  stdio.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const rec = recording(stdio);
  traffic = rec.traffic;
  client = new Client({ name: 'dummy-service-test', version: '1.0.0' });
  await client.connect(rec.transport);
});

afterAll(async () => {
  await client?.close();
  await api?.close();
  await repo?.close();
});

describe('dummy_service over stdio', () => {
  it('lists one tool per scope: delete_items destructive, read_items read-only', async () => {
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    expect([...byName.keys()].sort()).toEqual(['delete_items', 'read_items']);
    expect(byName.get('delete_items')?.annotations).toMatchObject({ destructiveHint: true, readOnlyHint: false });
    expect(byName.get('read_items')?.annotations).toMatchObject({ readOnlyHint: true });
    expect(byName.get('delete_items')?._meta).toMatchObject({ 'connector-factory/firearm_type': 'CODE_DELETE' });
  });

  it('read_items reaches the stand-in API with the vault key as bearer token and returns its items', async () => {
    const before = api.received.length;
    const result = (await client.callTool({ name: 'read_items', arguments: {} })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ count: 3 });
    expect((result.structuredContent as { items: { id: string }[] }).items.map((i) => i.id)).toEqual(['itm_1', 'itm_2', 'itm_3']);
    expect(api.received.slice(before)).toEqual([{ method: 'GET', path: '/items', authorization: `Bearer ${CANARY}` }]);
  });

  it('delete_items is refused without a licence, naming CODE_DELETE, and the API is never called', async () => {
    const before = api.received.length;
    const result = (await client.callTool({ name: 'delete_items', arguments: { id: 'itm_1' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({
      error: { code: 'firearm_licence_required', firearm_type: 'CODE_DELETE', scope: 'delete_items' },
    });
    expect(api.received.length).toBe(before);
    expect(api.items.map((i) => i.id)).toContain('itm_1');
  });

  it('the key canary appears in no MCP message and no stderr output', async () => {
    await client.close();
    expect(traffic.length).toBeGreaterThanOrEqual(8);
    expect(JSON.stringify(traffic)).not.toContain(CANARY);
    expect(stderr).toContain('dummy_service: serving 2 tool(s)');
    expect(stderr).not.toContain(CANARY);
  });
});

/** Runs the approved copy as a program and returns its exit code and output. */
const runConnector = (env: Record<string, string>) => runToExit(repo.root, SERVER, { DATABASE_URL: repo.db.url, ...env });

describe('dummy_service start failures', () => {
  it('a key that is not set stops the start with exit 1, naming the key and the site page to set it', async () => {
    const result = await runConnector({ VAULT_DIR: vaultWith({}), DUMMY_SERVICE_BASE_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(KEY_NAME);
    expect(result.stderr).toContain('http://127.0.0.1:4321/connectors/dummy_service');
    expect(result.stdout).toBe('');
  });

  it('a key file the vault reader refuses (a symbolic link) stops the start naming the key, never its value', async () => {
    const real = vaultWith({ [KEY_NAME]: CANARY });
    const vault = vaultWith({});
    symlinkSync(join(real, `${KEY_NAME}.txt`), join(vault, `${KEY_NAME}.txt`));
    const result = await runConnector({ VAULT_DIR: vault, DUMMY_SERVICE_BASE_URL: 'http://127.0.0.1:9' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(KEY_NAME);
    expect(result.stderr).toContain('symbolic link');
    expect(result.stderr).toContain('http://127.0.0.1:4321/connectors/dummy_service');
    expect(result.stderr + result.stdout).not.toContain(CANARY);
  });

  it('a missing DUMMY_SERVICE_BASE_URL stops the start with exit 1 and says what to set', async () => {
    const result = await runConnector({ VAULT_DIR: vaultWith({ [KEY_NAME]: CANARY }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DUMMY_SERVICE_BASE_URL is not set');
    expect(result.stderr).not.toContain(CANARY);
  });
});
