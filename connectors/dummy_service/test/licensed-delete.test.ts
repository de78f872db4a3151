/**
 * A host that grants firearm licences builds the connector in-process with its own checker:
 * delete_items then reaches the stand-in API, and only for the licence it granted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { createConnectorServer, LICENCE_META_KEY, type LicenceChecker } from '#connector-runtime';
import { connectInProcess } from '../../../pipeline/connector-runtime/test/helpers.ts';
import { dummyServiceOptions } from '../server.ts';
import { startStandInApi, type StandInApi } from '../stand-in-api.ts';
import { canary, KEY_NAME, vaultWith } from './fixtures.ts';

const CANARY = canary();
let api: StandInApi;
let client: Client;
let traffic: unknown[];
const logs: string[] = [];

/** Grants CODE_DELETE to the holder of one licence id, nothing else. */
const host: LicenceChecker = {
  async check({ firearmType, licence }) {
    if (firearmType === 'CODE_DELETE' && licence === 'lic-code-delete-1') return { granted: true };
    return { granted: false, reason: `licence ${String(licence)} does not cover ${firearmType}` };
  },
};

beforeAll(async () => {
  api = await startStandInApi({ apiKey: CANARY });
  const built = await createConnectorServer({
    ...dummyServiceOptions(api.url),
    licences: host,
    vault: { vaultDir: vaultWith({ [KEY_NAME]: CANARY }) },
    log: (line) => logs.push(line),
  });
  if (!built.ok) throw new Error(built.message);
  ({ client, traffic } = await connectInProcess(built.server));
});

afterAll(async () => {
  await client?.close();
  await api?.close();
});

const del = async (id: string, licence?: string) =>
  (await client.callTool({
    name: 'delete_items',
    arguments: { id },
    ...(licence ? { _meta: { [LICENCE_META_KEY]: licence } } : {}),
  })) as CallToolResult;

describe('delete_items with a host licence checker', () => {
  it('runs with a CODE_DELETE licence the host grants, sending the vault key as bearer token', async () => {
    const result = await del('itm_2', 'lic-code-delete-1');
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ deleted: 'itm_2' });
    expect(api.received.at(-1)).toEqual({ method: 'DELETE', path: '/items/itm_2', authorization: `Bearer ${CANARY}` });
    expect(api.items.map((i) => i.id)).toEqual(['itm_1', 'itm_3']);
  });

  it('is refused with a licence the host does not grant, and the API sees nothing', async () => {
    const before = api.received.length;
    const result = await del('itm_1', 'lic-someone-else');
    expect(result.structuredContent).toMatchObject({
      error: { code: 'firearm_licence_required', firearm_type: 'CODE_DELETE', reason: 'licence lic-someone-else does not cover CODE_DELETE' },
    });
    expect(api.received.length).toBe(before);
  });

  it('a provider 404 comes back as a not_found tool error', async () => {
    const result = await del('itm_404', 'lic-code-delete-1');
    expect(result.structuredContent).toMatchObject({ error: { code: 'not_found' } });
  });

  it('the key canary is in no MCP message and no log line', () => {
    expect(JSON.stringify(traffic)).not.toContain(CANARY);
    expect(logs.join('\n')).not.toContain(CANARY);
  });
});
