/**
 * The licence loop as it happens: dummy_service runs as a real child process over stdio (the
 * official SDK's client and transport), with its key in a real vault dir, against its stand-in API,
 * and finds the registry the two ways a connector does:
 *  - the running `npm start` of CONNECTORS_DATA_DIR (here this test process holds the embedded
 *    registry of a temp data dir, as npm start does), and
 *  - DATABASE_URL (a fresh PostgreSQL database, when TEST_DATABASE_URL is set).
 * The operator's decisions go through pipeline/registry/licences.ts, the module the site uses.
 * Every JSON-RPC message, stderr byte and licence row is searched for the key's canary value.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequestURLParams, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { startStandInApi, type StandInApi } from '../../../connectors/dummy_service/stand-in-api.ts';
import { PROJECT_ROOT } from '../../registry/connect.ts';
import { startEmbeddedRegistry } from '../../registry/embedded.ts';
import { approveRequest, grantLicence, listRecentUses, revokeLicence } from '../../registry/licences.ts';
import { migrateRegistry } from '../../registry/migrate.ts';
import { freshDatabase } from '../../registry/testing.ts';
import { recording } from './helpers.ts';
import { licenceTablesText, syncDummyService } from './licence-registry.ts';

const SERVER_TS = join(PROJECT_ROOT, 'connectors', 'dummy_service', 'server.ts');
const KEY = 'PROVIDER_DUMMY_SERVICE_API_KEY';
const CANARY = `canary-licence-stdio-${process.pid}-${Date.now().toString(36)}`;
const SITE = 'http://127.0.0.1:4888';

interface Registry {
  /** The environment that points a connector at this registry. */
  env: Record<string, string>;
  pool: pg.Pool;
  close(): Promise<void>;
}

/** This process plays `npm start`: it holds the embedded registry of a temp data dir. */
async function embeddedViaDataDir(): Promise<Registry> {
  const dataDir = mkdtempSync(join(tmpdir(), 'licence-data-'));
  const registry = await startEmbeddedRegistry({ dataDir });
  await migrateRegistry(registry.url);
  const pool = new pg.Pool({ connectionString: registry.url, max: 1 });
  return {
    env: { CONNECTORS_DATA_DIR: dataDir },
    pool,
    close: async () => {
      await pool.end();
      await registry.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function postgresViaDatabaseUrl(): Promise<Registry> {
  const db = await freshDatabase('postgres');
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  return {
    env: { DATABASE_URL: db.url, CONNECTORS_DATA_DIR: mkdtempSync(join(tmpdir(), 'licence-unused-data-')) },
    pool,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

const ways: [string, () => Promise<Registry>][] = [['the running npm start of CONNECTORS_DATA_DIR (embedded PGlite)', embeddedViaDataDir]];
if (process.env.TEST_DATABASE_URL) ways.push(['DATABASE_URL (PostgreSQL)', postgresViaDatabaseUrl]);

function vaultWithCanary(): string {
  const dir = mkdtempSync(join(tmpdir(), 'licence-vault-'));
  chmodSync(dir, 0o700);
  writeFileSync(join(dir, `${KEY}.txt`), CANARY, { mode: 0o600 });
  return dir;
}

interface Session {
  client: Client;
  traffic: JSONRPCMessage[];
  stderr: () => string;
  elicited: ElicitRequestURLParams[];
}

async function spawnConnector(
  api: StandInApi,
  env: Record<string, string>,
  onElicit?: (params: ElicitRequestURLParams) => Promise<{ action: 'accept' }>,
): Promise<Session> {
  const stdio = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', SERVER_TS],
    cwd: PROJECT_ROOT,
    env: { ...getDefaultEnvironment(), VAULT_DIR: vaultWithCanary(), DUMMY_SERVICE_BASE_URL: api.url, CONNECTORS_SITE_URL: SITE, CONNECTOR_LICENCE_POLL_MS: '20', ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  stdio.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const rec = recording(stdio);
  const client = new Client({ name: 'licence-loop', version: '0.9.0' }, onElicit ? { capabilities: { elicitation: { url: {} } } } : {});
  const elicited: ElicitRequestURLParams[] = [];
  if (onElicit) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const params = request.params as ElicitRequestURLParams;
      elicited.push(params);
      return onElicit(params);
    });
  }
  await client.connect(rec.transport);
  return { client, traffic: rec.traffic, stderr: () => stderr, elicited };
}

const del = async (s: Session, id: string) => (await s.client.callTool({ name: 'delete_items', arguments: { id } })) as CallToolResult;
const errorOf = (r: CallToolResult) => (r.structuredContent as { error: Record<string, unknown> }).error;

describe.each(ways)('dummy_service over stdio, registry through %s', (_way, open) => {
  let registry: Registry;
  let api: StandInApi;
  const sessions: Session[] = [];

  beforeAll(async () => {
    registry = await open();
    await syncDummyService(registry.pool);
    api = await startStandInApi({ apiKey: CANARY });
  });
  afterAll(async () => {
    for (const s of sessions) await s.client.close().catch(() => undefined);
    await api?.close();
    await registry?.close();
  });

  it('refused with a request id → approved once → runs once → refused again → licensed → runs → revoked → refused', async () => {
    const s = await spawnConnector(api, registry.env);
    sessions.push(s);

    const refused = errorOf(await del(s, 'itm_1'));
    expect(refused).toMatchObject({ code: 'firearm_licence_required', reason: 'no_licence', firearm_type: 'CODE_DELETE' });
    const requestId = refused.request_id as number;
    expect(refused.approve_url).toBe(`${SITE}/licences#request-${requestId}`);
    expect(api.received.filter((r) => r.method === 'DELETE')).toEqual([]);

    expect(await approveRequest(registry.pool, requestId, 'operator')).toMatchObject({ ok: true });
    expect((await del(s, 'itm_1')).structuredContent).toEqual({ deleted: 'itm_1' });
    expect(api.received.at(-1)).toEqual({ method: 'DELETE', path: '/items/itm_1', authorization: `Bearer ${CANARY}` });
    const again = errorOf(await del(s, 'itm_1'));
    expect(again).toMatchObject({ code: 'firearm_licence_required' });
    expect(again.request_id).not.toBe(requestId);

    const granted = await grantLicence(registry.pool, { providerSlug: 'dummy_service', firearmType: 'CODE_DELETE', durationMinutes: 60, operator: 'operator' });
    if (!granted.ok) throw new Error(granted.message);
    expect((await del(s, 'itm_2')).structuredContent).toEqual({ deleted: 'itm_2' });

    await revokeLicence(registry.pool, granted.licence.id, 'operator');
    expect(errorOf(await del(s, 'itm_3'))).toMatchObject({ code: 'firearm_licence_required', reason: 'no_licence' });
    expect(api.items.map((i) => i.id)).toEqual(['itm_3']);

    const uses = await listRecentUses(registry.pool, { providerSlug: 'dummy_service' });
    expect(uses.map((u) => u.outcome).reverse()).toEqual(['refused', 'succeeded', 'refused', 'succeeded', 'refused']);
    expect(uses.every((u) => u.client_name === 'licence-loop' && u.client_version === '0.9.0')).toBe(true);
  });

  it('a client with URL-mode elicitation is sent the approval page and its call completes once the operator approves', async () => {
    const s = await spawnConnector(api, registry.env, async (params) => {
      const id = Number(/#request-(\d+)$/.exec(params.url)?.[1]);
      const decided = await approveRequest(registry.pool, id, 'operator');
      if (!decided.ok) throw new Error(decided.message);
      return { action: 'accept' };
    });
    sessions.push(s);
    expect((await del(s, 'itm_3')).structuredContent).toEqual({ deleted: 'itm_3' });
    expect(s.elicited.map((e) => e.mode)).toEqual(['url']);
  });

  it('the key canary appears in no MCP message, stderr line or licence row', async () => {
    for (const s of sessions) await s.client.close();
    for (const s of sessions) {
      expect(JSON.stringify(s.traffic)).not.toContain(CANARY);
      expect(s.stderr()).not.toContain(CANARY);
    }
    expect(await licenceTablesText(registry.pool)).not.toContain(CANARY);
  });
});
