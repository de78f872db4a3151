/**
 * delete_items under a licence an operator granted in the registry: built in-process against a
 * fresh registry (DATABASE_URL) where dummy_service is synced and approved, it reaches the
 * stand-in API with the vault key, and only while the licence holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createConnectorServer } from '#connector-runtime';
import { connectInProcess } from '../../../pipeline/connector-runtime/test/helpers.ts';
import { licenceTablesText, registryWithDummyService, type DummyRegistry } from '../../../pipeline/connector-runtime/test/licence-registry.ts';
import { grantLicence, revokeLicence } from '../../../pipeline/registry/licences.ts';
import { dummyServiceOptions } from '../server.ts';
import { startStandInApi, type StandInApi } from '../stand-in-api.ts';
import { canary, KEY_NAME, vaultWith } from './fixtures.ts';

const CANARY = canary();
let api: StandInApi;
let registry: DummyRegistry;
let client: Client;
let traffic: unknown[];
const logs: string[] = [];

beforeAll(async () => {
  registry = await registryWithDummyService('pglite');
  process.env.DATABASE_URL = registry.db.url;
  api = await startStandInApi({ apiKey: CANARY });
  const built = await createConnectorServer({
    ...dummyServiceOptions(api.url),
    vault: { vaultDir: vaultWith({ [KEY_NAME]: CANARY }) },
    log: (line) => logs.push(line),
  });
  if (!built.ok) throw new Error(built.message);
  ({ client, traffic } = await connectInProcess(built.server));
});

afterAll(async () => {
  await client?.close();
  await api?.close();
  await registry?.close();
  delete process.env.DATABASE_URL;
});

const del = async (id: string) => (await client.callTool({ name: 'delete_items', arguments: { id } })) as CallToolResult;

describe('delete_items under a registry licence', () => {
  it('is refused before any licence, and the API sees nothing', async () => {
    const before = api.received.length;
    const result = await del('itm_1');
    expect(result.structuredContent).toMatchObject({ error: { code: 'firearm_licence_required', firearm_type: 'CODE_DELETE', reason: 'no_licence' } });
    expect(api.received.length).toBe(before);
  });

  it('runs under a CODE_DELETE licence, sending the vault key as bearer token', async () => {
    const granted = await grantLicence(registry.pool, { providerSlug: 'dummy_service', firearmType: 'CODE_DELETE', durationMinutes: 60, operator: 'operator' });
    if (!granted.ok) throw new Error(granted.message);
    const result = await del('itm_2');
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ deleted: 'itm_2' });
    expect(api.received.at(-1)).toEqual({ method: 'DELETE', path: '/items/itm_2', authorization: `Bearer ${CANARY}` });
    expect(api.items.map((i) => i.id)).toEqual(['itm_1', 'itm_3']);
  });

  it('a provider 404 comes back as a not_found tool error, and the use is recorded as failed', async () => {
    const result = await del('itm_404');
    expect(result.structuredContent).toMatchObject({ error: { code: 'not_found' } });
    const { rows } = await registry.pool.query(`SELECT outcome, reason FROM firearm_uses ORDER BY id DESC LIMIT 1`);
    expect(rows[0]).toEqual({ outcome: 'failed', reason: 'not_found' });
  });

  it('is refused again once the licence is revoked', async () => {
    const { rows } = await registry.pool.query<{ id: number }>(`SELECT id::float8 AS id FROM firearm_licences WHERE revoked_at IS NULL`);
    for (const { id } of rows) await revokeLicence(registry.pool, id, 'operator');
    expect((await del('itm_1')).structuredContent).toMatchObject({ error: { code: 'firearm_licence_required' } });
  });

  it('the key canary is in no MCP message, log line or registry row', async () => {
    expect(JSON.stringify(traffic)).not.toContain(CANARY);
    expect(logs.join('\n')).not.toContain(CANARY);
    expect(await licenceTablesText(registry.pool)).not.toContain(CANARY);
  });
});
