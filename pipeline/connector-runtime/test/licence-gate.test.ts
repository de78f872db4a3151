/**
 * The runtime's firearm gate against a real registry (PGlite, and PostgreSQL when
 * TEST_DATABASE_URL is set): dummy_service built in-process, an MCP client of the official SDK,
 * the operator's decisions made through pipeline/registry/licences.ts (the site's module).
 */
import { mkdtempSync } from 'node:fs';
import { connect as connectSocket, createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  type CallToolResult,
  type ElicitRequestURLParams,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
import { createConnectorServer, LICENCE_META_KEY } from '#connector-runtime';
import { dummyServiceOptions } from '../../../connectors/dummy_service/server.ts';
import { startStandInApi, type StandInApi } from '../../../connectors/dummy_service/stand-in-api.ts';
import { approveRequest, denyRequest, getRequest, grantLicence, listRecentUses, revokeLicence } from '../../registry/licences.ts';
import { publishInfo, releaseInfo } from '../../registry/info-file.ts';
import { testBackends } from '../../registry/testing.ts';
import { recording } from './helpers.ts';
import { licenceTablesText, registryWithDummyService, type DummyRegistry } from './licence-registry.ts';

const CANARY = `canary-licence-gate-${process.pid}-never-stored`;
const SITE = 'http://127.0.0.1:4999';

type Elicited = ElicitRequestURLParams;

interface Connected {
  call(id: string, meta?: Record<string, unknown>): Promise<CallToolResult>;
  traffic: JSONRPCMessage[];
  logs: string[];
  elicited: Elicited[];
  completed: string[];
  close(): Promise<void>;
}

/** dummy_service in-process with `env` applied while it is built, and a client named licence-test 3.1.4. */
async function connect(
  api: StandInApi,
  env: Record<string, string>,
  onElicit?: (params: Elicited) => Promise<{ action: 'accept' | 'decline' | 'cancel' }>,
): Promise<Connected> {
  const saved = { ...process.env };
  Object.assign(process.env, { CONNECTOR_LICENCE_POLL_MS: '20', ...env });
  const logs: string[] = [];
  const built = await createConnectorServer({
    ...dummyServiceOptions(api.url),
    loadSecrets: async (keys) => ({ values: Object.fromEntries(keys.map((k) => [k.key, CANARY])), missing: [] }),
    siteUrl: SITE,
    log: (line) => logs.push(line),
  });
  // The registry link reads DATABASE_URL at each call: keep it; the rest applied at build time.
  process.env = { ...saved, ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}) };
  if (!built.ok) throw new Error(built.message);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await built.server.connect(serverSide);
  const { transport, traffic } = recording(clientSide);
  const client = new Client({ name: 'licence-test', version: '3.1.4' }, onElicit ? { capabilities: { elicitation: { url: {} } } } : {});
  const elicited: Elicited[] = [];
  const completed: string[] = [];
  if (onElicit) {
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      const params = request.params as Elicited;
      elicited.push(params);
      return onElicit(params);
    });
    client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => void completed.push(n.params.elicitationId));
  }
  await client.connect(transport);
  return {
    call: async (id, meta) =>
      (await client.callTool({ name: 'delete_items', arguments: { id }, ...(meta ? { _meta: meta } : {}) })) as CallToolResult,
    traffic,
    logs,
    elicited,
    completed,
    close: () => client.close(),
  };
}

const errorOf = (result: CallToolResult) => (result.structuredContent as { error: Record<string, unknown> }).error;
const requestIdOf = (url: string) => Number(/#request-(\d+)$/.exec(url)?.[1]);

describe.each(testBackends())('firearm calls through the registry (%s)', (backend) => {
  let registry: DummyRegistry;
  let api: StandInApi;
  const opened: Connected[] = [];
  const open = async (...args: Parameters<typeof connect> extends [unknown, ...infer R] ? R : never) => {
    const c = await connect(api, ...args);
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    registry = await registryWithDummyService(backend);
    api = await startStandInApi({ apiKey: CANARY });
  });
  afterAll(async () => {
    for (const c of opened) await c.close();
    await api?.close();
    await registry?.close();
  });

  it('refused with a request id and approve_url → approved once → the same call runs once → a second identical call is refused', async () => {
    const c = await open({ DATABASE_URL: registry.db.url });
    const first = await c.call('itm_1');
    const error = errorOf(first);
    expect(error).toMatchObject({ code: 'firearm_licence_required', reason: 'no_licence', firearm_type: 'CODE_DELETE', request_reused: false });
    const id = error.request_id as number;
    expect(error.approve_url).toBe(`${SITE}/licences#request-${id}`);
    expect(error.message).toContain(`Licence request ${id} was recorded`);
    expect(api.items.map((i) => i.id)).toContain('itm_1');

    const again = errorOf(await c.call('itm_1'));
    expect(again).toMatchObject({ request_id: id, request_reused: true });
    expect(await getRequest(registry.pool, id)).toMatchObject({ status: 'pending', arguments: { id: 'itm_1' }, client_name: 'licence-test', client_version: '3.1.4' });

    expect(await approveRequest(registry.pool, id, 'operator')).toMatchObject({ ok: true });
    expect(errorOf(await c.call('itm_2'))).toMatchObject({ code: 'firearm_licence_required' }); // other arguments: not approved
    const ran = await c.call('itm_1');
    expect(ran.isError).toBeFalsy();
    expect(ran.structuredContent).toEqual({ deleted: 'itm_1' });
    expect(api.received.at(-1)).toMatchObject({ method: 'DELETE', path: '/items/itm_1' });
    const second = errorOf(await c.call('itm_1'));
    expect(second).toMatchObject({ code: 'firearm_licence_required', reason: 'no_licence' });
    expect(second.request_id).not.toBe(id);

    const uses = await listRecentUses(registry.pool, { providerSlug: 'dummy_service' });
    expect(uses.find((u) => u.request_id === id && u.outcome === 'succeeded')).toMatchObject({ client_name: 'licence-test', client_version: '3.1.4' });
    expect(uses.filter((u) => u.outcome === 'refused').length).toBeGreaterThanOrEqual(4);
  });

  it('a granted licence lets calls run until it is revoked', async () => {
    const c = await open({ DATABASE_URL: registry.db.url });
    const granted = await grantLicence(registry.pool, { providerSlug: 'dummy_service', firearmType: 'CODE_DELETE', durationMinutes: 60, operator: 'operator' });
    if (!granted.ok) throw new Error(granted.message);
    expect((await c.call('itm_2')).structuredContent).toEqual({ deleted: 'itm_2' });
    expect((await c.call('itm_404')).structuredContent).toMatchObject({ error: { code: 'not_found' } });
    await revokeLicence(registry.pool, granted.licence.id, 'operator');
    expect(errorOf(await c.call('itm_3'))).toMatchObject({ code: 'firearm_licence_required', reason: 'no_licence' });
    const uses = await listRecentUses(registry.pool, { providerSlug: 'dummy_service' });
    expect(uses.filter((u) => u.licence_id === granted.licence.id).map((u) => u.outcome).sort()).toEqual(['failed', 'succeeded']);
  });

  it('a forged _meta licence grants nothing and is named as ignored', async () => {
    const c = await open({ DATABASE_URL: registry.db.url });
    const result = await c.call('itm_3', { [LICENCE_META_KEY]: { id: 1, firearm_type: 'CODE_DELETE', granted_by: 'operator' } });
    expect(errorOf(result)).toMatchObject({ code: 'firearm_licence_required', meta_licence_ignored: true });
    expect(errorOf(result).message).toContain('licence presented in the call\'s _meta is not accepted');
    expect(api.items.map((i) => i.id)).toContain('itm_3');
  });

  it('a connector that is not approved is refused, and the message sends the operator to its page', async () => {
    const c = await open({ DATABASE_URL: registry.db.url });
    await registry.pool.query(`UPDATE connector_providers SET status = 'changed' WHERE provider_slug = 'dummy_service'`);
    try {
      const error = errorOf(await c.call('itm_3'));
      expect(error).toMatchObject({ reason: 'connector_not_approved' });
      expect(error.message).toContain(`dummy_service is changed`);
      expect(error.message).toContain(`${SITE}/connectors/dummy_service`);
    } finally {
      await registry.pool.query(`UPDATE connector_providers SET status = 'approved' WHERE provider_slug = 'dummy_service'`);
    }
  });

  describe('a client with URL-mode elicitation', () => {
    it('gets the approval page, the call waits, the operator approves, and the same call completes', async () => {
      const c = await open({ DATABASE_URL: registry.db.url }, async (params) => {
        // The operator acts on the page the client was sent to.
        const decided = await approveRequest(registry.pool, requestIdOf(params.url), 'operator');
        if (!decided.ok) throw new Error(decided.message);
        return { action: 'accept' };
      });
      const before = (await listRecentUses(registry.pool, { limit: 1 }))[0]?.id ?? 0;
      const result = await c.call('itm_3');
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ deleted: 'itm_3' });
      expect(c.elicited).toHaveLength(1);
      expect(c.elicited[0]).toMatchObject({ mode: 'url', url: expect.stringMatching(new RegExp(`^${SITE}/licences#request-\\d+$`)) });
      expect(c.elicited[0]!.message).toContain('delete_items (CODE_DELETE');
      await expect.poll(() => c.completed).toEqual([c.elicited[0]!.elicitationId]);
      const id = requestIdOf(c.elicited[0]!.url);
      expect(await getRequest(registry.pool, id)).toMatchObject({ status: 'spent', arguments: null });
      // One call, one use row: the wait did not also record a refusal.
      const uses = (await listRecentUses(registry.pool)).filter((u) => u.id > before);
      expect(uses.map((u) => [u.request_id, u.outcome])).toEqual([[id, 'succeeded']]);
    });

    it('a denial while the call waits ends it as denied', async () => {
      const c = await open({ DATABASE_URL: registry.db.url }, async (params) => {
        await denyRequest(registry.pool, requestIdOf(params.url), 'operator');
        return { action: 'accept' };
      });
      const error = errorOf(await c.call('itm_1'));
      expect(error).toMatchObject({ code: 'firearm_licence_required', reason: 'denied' });
      expect(error.message).toContain('denied');
      expect((await listRecentUses(registry.pool)).find((u) => u.request_id === error.request_id)).toMatchObject({ outcome: 'denied' });
    });

    it('declining the page ends the wait at once; no decision within the wait ends it as timed out', async () => {
      const declining = await open({ DATABASE_URL: registry.db.url }, async () => ({ action: 'decline' }));
      expect(errorOf(await declining.call('itm_1'))).toMatchObject({ reason: 'declined' });
      const silent = await open({ DATABASE_URL: registry.db.url, CONNECTOR_LICENCE_WAIT_MS: '200' }, async () => ({ action: 'accept' }));
      const error = errorOf(await silent.call('itm_1'));
      expect(error).toMatchObject({ reason: 'timed_out' });
      expect(error.message).toContain('No decision came within 200 ms');
    });
  });

  it('argument values that hold a key value are stored redacted; the key is in no row, MCP message or log', async () => {
    const c = await open({ DATABASE_URL: registry.db.url });
    const error = errorOf(await c.call(`itm-${CANARY}`));
    expect(await getRequest(registry.pool, error.request_id as number)).toMatchObject({ arguments: { id: 'itm-[redacted]' } });
    expect(await licenceTablesText(registry.pool)).not.toContain(CANARY);
    for (const o of opened) {
      // Only the client's own tools/call carries the value it chose to send.
      const fromServer = o.traffic.filter((m) => !('method' in m && m.method === 'tools/call'));
      expect(JSON.stringify(fromServer)).not.toContain(CANARY);
      expect(o.logs.join('\n')).not.toContain(CANARY);
    }
  });
});

/**
 * A TCP relay to a registry's socket: the connector starts through it while the registry approves
 * it (keys only at the approved digest), then the test takes the registry away or silences it.
 */
async function relayTo(registryUrl: string) {
  const match = /[?&]host=([^&]+)/.exec(registryUrl);
  const socketDir = match ? decodeURIComponent(match[1]!) : null;
  if (!socketDir) throw new Error(`expected a unix-socket registry URL, got ${registryUrl}`);
  let silent = false;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    if (silent) return;
    const upstream = connectSocket(join(socketDir, '.s.PGSQL.5432'));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (password?: string) => `postgres://postgres${password ? `:${password}` : ''}@127.0.0.1:${port}/postgres`,
    /** Accepts connections and never says a word: a hung registry. */
    silence() {
      silent = true;
      for (const s of open) s.destroy();
    },
    /** Nothing listens any more: connection refused. */
    async down() {
      for (const s of open) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('a registry that cannot answer refuses every firearm call', () => {
  let api: StandInApi;
  let registry: DummyRegistry;
  beforeAll(async () => {
    api = await startStandInApi({ apiKey: CANARY });
    registry = await registryWithDummyService('pglite');
  });
  afterAll(async () => {
    await api?.close();
    await registry?.close();
  });

  it('down (connection refused): refused, nothing recorded, the message says what to start', async () => {
    const relay = await relayTo(registry.db.url);
    const c = await connect(api, { DATABASE_URL: relay.url(`pw-${CANARY}`) });
    await relay.down();
    const error = errorOf(await c.call('itm_1'));
    expect(error).toMatchObject({ code: 'firearm_licence_required', reason: 'registry_unreachable' });
    expect(error).not.toHaveProperty('request_id');
    expect(error.message).toContain('npm start');
    expect(JSON.stringify(c.traffic) + c.logs.join('\n')).not.toContain(CANARY); // DATABASE_URL's password is never shown
    expect(api.items.map((i) => i.id)).toContain('itm_1');
    await c.close();
  });

  it('slow (answers nothing within CONNECTOR_LICENCE_TIMEOUT_MS): refused', async () => {
    const relay = await relayTo(registry.db.url);
    const c = await connect(api, { DATABASE_URL: relay.url(), CONNECTOR_LICENCE_TIMEOUT_MS: '150' });
    relay.silence();
    expect(errorOf(await c.call('itm_1'))).toMatchObject({ reason: 'registry_slow' });
    await c.close();
    await relay.down();
  });

  it('no DATABASE_URL and no npm start on the data dir: refused, naming the data dir', async () => {
    // This process plays the npm start that held the data dir when the connector started (its
    // registry.json names the registry that approves dummy_service), then stops.
    const dataDir = mkdtempSync(join(tmpdir(), 'no-factory-'));
    await publishInfo(dataDir, { pid: process.pid, url: registry.db.url, socket: null, started_at: new Date().toISOString(), kind: 'npm start' });
    const saved = process.env.DATABASE_URL;
    delete process.env.DATABASE_URL;
    process.env.CONNECTORS_DATA_DIR = dataDir;
    try {
      const c = await connect(api, {});
      await releaseInfo(dataDir);
      const error = errorOf(await c.call('itm_1'));
      expect(error).toMatchObject({ reason: 'registry_unreachable' });
      expect(error.message).toContain(`no npm start is running for the data dir ${dataDir}`);
      await c.close();
    } finally {
      await releaseInfo(dataDir);
      if (saved !== undefined) process.env.DATABASE_URL = saved;
      delete process.env.CONNECTORS_DATA_DIR;
    }
  });
});
