/**
 * An oauth connector's access tokens, against real parts: a real OAuth 2.0 server on loopback
 * (oauth2-mock-server; refresh tokens rotate and die when used, as GitHub's do), a real vault-agent
 * and vault reader, and a real registry (the connector synced and approved). Expiry, one refresh
 * for concurrent calls, rotation stored before use, invalid_grant recorded for the card, the token
 * endpoint down; and through MCP, no token in any message or log line.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createVaultClient, type VaultClient } from '../../../vault-agent/src/client.ts';
import { startVaultAgent, type RunningVaultAgent } from '../../../vault-agent/src/server.ts';
import { startMockProvider, type MockProvider } from '../../../vault-agent/test/oauth-provider.ts';
import type { ManifestOAuth } from '../../schema/manifest.ts';
import { createConnectorServer, ok, scopeHandler } from '../index.ts';
import { createAccessTokenSource, type AccessTokenDeps } from '../oauth-tokens.ts';
import { openRegistryLink } from '../registry-link.ts';
import { vaultReaderLoader } from '../vault-reader.ts';
import { runtimeRepo, type RuntimeRepo } from './approved-repo.ts';
import { connectInProcess } from './helpers.ts';

const SLUG = 'acme_tube';
const ID = 'PROVIDER_ACME_TUBE_CLIENT_ID';
const SECRET = 'PROVIDER_ACME_TUBE_CLIENT_SECRET';
const REFRESH = 'PROVIDER_ACME_TUBE_REFRESH_TOKEN';
const PAGE = `http://127.0.0.1:4321/connectors/${SLUG}`;

const manifestFor = (provider: MockProvider) => `schema_version: 1
provider_slug: ${SLUG}
display_name: Acme Tube
auth_mode: oauth
secrets:
  - key: ${ID}
    label: OAuth client ID
  - key: ${SECRET}
    label: OAuth client secret
  - key: ${REFRESH}
    label: OAuth refresh token
scopes:
  - name: videos.read
    description: Read videos
    requires_firearm: false
oauth:
  authorize_url: ${provider.authorizeUrl}
  token_url: ${provider.tokenUrl}
  client_id_key: ${ID}
  client_secret_key: ${SECRET}
  refresh_token_key: ${REFRESH}
`;

describe('oauth access tokens in the connector runtime', () => {
  let provider: MockProvider;
  let repo: RuntimeRepo;
  let tmp: string;
  let agent: RunningVaultAgent;
  let vault: VaultClient;
  let oauth: ManifestOAuth;
  let clock = 1_800_000_000_000;
  const logs: string[] = [];
  const redacted: string[] = [];
  const vaultDir = () => join(tmp, 'vault');
  const socket = () => join(tmp, 'run', 'vault.sock');
  const startAgent = async () => {
    agent = await startVaultAgent({ vaultDir: vaultDir(), socketPath: socket(), ageRecipients: '' });
  };
  const refreshes = () => provider.calls.filter((c) => c.grantType === 'refresh_token').length;
  const storedRefresh = () => readFileSync(join(vaultDir(), `${REFRESH}.txt`), 'utf8');
  const events = async () => (await repo.pool.query(`SELECT actor, details FROM registry_events WHERE kind = 'oauth_refresh_failed' ORDER BY id`)).rows;

  function source(over: Partial<AccessTokenDeps> = {}) {
    const link = openRegistryLink({ env: { DATABASE_URL: repo.db.url }, timeoutMs: 5_000, log: (l) => logs.push(l) });
    return createAccessTokenSource({
      slug: SLUG,
      oauth,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret!,
      readRefreshToken: async () => (await vaultReaderLoader([{ key: REFRESH, optional: true }], { vaultDir: vaultDir() })).values[REFRESH] ?? null,
      storeRefreshToken: async (value) => {
        const put = await vault.put(REFRESH, value);
        return put.ok ? { ok: true } : { ok: false, code: put.code, message: put.message };
      },
      recordFailure: async (details) => {
        const r = await link.run((db) =>
          db.query(`INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, 'oauth_refresh_failed', $2, $3::jsonb)`, [SLUG, `${SLUG} connector`, JSON.stringify({ key: REFRESH, ...details })]),
        );
        if (!r.ok) throw new Error(r.message);
      },
      redactFrom: (v) => redacted.push(v),
      page: PAGE,
      log: (l) => logs.push(l),
      now: () => clock,
      ...over,
    });
  }

  beforeAll(async () => {
    provider = await startMockProvider({ expiresIn: 3600, rotate: true });
    repo = await runtimeRepo('pglite', { connectors: {} });
    repo.write(`connectors/${SLUG}/manifest.yaml`, manifestFor(provider));
    await repo.sync();
    await repo.approve(SLUG);
    oauth = { authorize_url: provider.authorizeUrl, token_url: provider.tokenUrl, client_id_key: ID, client_secret_key: SECRET, refresh_token_key: REFRESH, scope_separator: ' ' };
    tmp = mkdtempSync(join(tmpdir(), 'oauth-rt-'));
    await startAgent();
    vault = createVaultClient(socket());
    await vault.put(ID, provider.clientId);
    await vault.put(SECRET, provider.clientSecret!);
    await vault.put(REFRESH, provider.grantRefreshToken());
  });
  afterAll(async () => {
    vault?.close();
    await agent?.close();
    await provider?.stop();
    await repo?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('refreshes once, then reuses the access token until shortly before expires_in', async () => {
    const tokens = source();
    const before = refreshes();
    const first = await tokens.get();
    expect(first.ok).toBe(true);
    expect(await tokens.get()).toEqual(first);
    expect(refreshes()).toBe(before + 1);
    clock += (3600 - 61) * 1000;
    expect(await tokens.get()).toEqual(first);
    expect(refreshes()).toBe(before + 1);
    clock += 2_000; // now within a minute of expiry
    expect((await tokens.get()).ok).toBe(true);
    expect(refreshes()).toBe(before + 2);
  });

  it('concurrent calls wait for the one refresh in flight: one token request', async () => {
    const tokens = source();
    const before = refreshes();
    const all = await Promise.all(Array.from({ length: 12 }, () => tokens.get()));
    expect(refreshes()).toBe(before + 1);
    expect(new Set(all.map((r) => (r.ok ? r.token : r.code))).size).toBe(1);
    expect(all[0]!.ok).toBe(true);
  });

  it('a rotated refresh token is the one in the vault, and is redacted from then on', async () => {
    const tokens = source();
    const used = storedRefresh();
    await tokens.get();
    const now = storedRefresh();
    expect(now).not.toBe(used);
    expect(provider.liveRefreshTokens.has(now)).toBe(true);
    expect(provider.liveRefreshTokens.has(used)).toBe(false);
    expect(redacted).toContain(now);
  });

  it('a rotation vault-agent cannot store is not used; the next call stores it without spending the grant again', async () => {
    const tokens = source();
    await agent.close();
    const before = refreshes();
    const refused = await tokens.get();
    expect(refused).toMatchObject({ ok: false, code: 'oauth_refresh_token_unsaved' });
    expect(refreshes()).toBe(before + 1);
    await startAgent();
    const after = await tokens.get();
    expect(after.ok).toBe(true);
    expect(refreshes()).toBe(before + 1); // no second token request: the held rotation was stored
    expect(provider.liveRefreshTokens.has(storedRefresh())).toBe(true);
  });

  it('invalid_grant records oauth_refresh_failed for the card and names the connector\'s page', async () => {
    provider.revokeAll();
    const refused = await source().get();
    expect(refused).toMatchObject({ ok: false, code: 'oauth_reconnect_needed' });
    expect(!refused.ok && refused.message).toContain(`Reconnect it on ${PAGE}`);
    expect(await events()).toEqual([
      { actor: `${SLUG} connector`, details: { key: REFRESH, code: 'invalid_grant', provider_error: 'invalid_grant' } },
    ]);
  });

  it('the token endpoint down: a refresh failure naming the endpoint, nothing stored', async () => {
    const down = await startMockProvider({ clientId: provider.clientId, clientSecret: provider.clientSecret });
    await down.stop();
    const held = storedRefresh();
    const refused = await source({ oauth: { ...oauth, token_url: down.tokenUrl } }).get();
    expect(refused).toMatchObject({ ok: false, code: 'oauth_refresh_failed' });
    expect(!refused.ok && refused.message).toMatch(/could not be reached/);
    expect(storedRefresh()).toBe(held);
  });

  describe('through MCP', () => {
    let client: Client;
    const runtimeLogs: string[] = [];
    let traffic: unknown[];
    const saved = { ...process.env };

    beforeAll(async () => {
      process.env.DATABASE_URL = repo.db.url;
      await vault.put(REFRESH, provider.grantRefreshToken());
      const built = await createConnectorServer({
        manifestPath: join(repo.root, 'connectors', SLUG, 'manifest.yaml'),
        vault: { vaultDir: vaultDir() },
        vaultSocket: socket(),
        siteUrl: 'http://127.0.0.1:4321',
        log: (l) => runtimeLogs.push(l),
        handlers: {
          // A careless handler: it logs and returns the access token it was given.
          'videos.read': scopeHandler({
            input: { api_said_401: z.boolean().optional() },
            run: async ({ api_said_401 }, ctx) => {
              // What a handler does when the API refuses the token: forget it and get a fresh one.
              if (api_said_401) ctx.secrets.invalidateAccessToken();
              const token = await ctx.secrets.accessToken();
              ctx.log(`calling the API with Bearer ${token}`);
              return ok({ authorization: `Bearer ${token}` });
            },
          }),
        },
      });
      if (!built.ok) throw new Error(built.message);
      ({ client, traffic } = await connectInProcess(built.server));
    });
    afterAll(async () => {
      await client?.close();
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    });

    it('a tool gets its access token and nothing of it leaves the process', async () => {
      const result = (await client.callTool({ name: 'videos_read', arguments: {} })) as CallToolResult;
      expect(result.isError, JSON.stringify(result)).toBeFalsy();
      expect(result.structuredContent).toEqual({ authorization: 'Bearer [redacted]' });
      expect(runtimeLogs.join('\n')).toContain('calling the API with Bearer [redacted]');
    });

    it('after invalid_grant the tool error says reconnect needed and names the page', async () => {
      provider.revokeAll();
      const result = (await client.callTool({ name: 'videos_read', arguments: { api_said_401: true } })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({ error: { code: 'oauth_reconnect_needed' } });
      const text = result.content[0]?.type === 'text' ? result.content[0].text : '';
      expect(text).toContain(`Reconnect it on ${PAGE}`);
      expect((await events()).at(-1)).toMatchObject({ details: { code: 'invalid_grant' } });
    });

    it('canary: no token or client secret in any MCP message, log line or registry row', async () => {
      const all = `${JSON.stringify(traffic)}\n${runtimeLogs.join('\n')}\n${logs.join('\n')}\n${JSON.stringify((await repo.pool.query(`SELECT * FROM registry_events`)).rows)}`;
      expect(provider.issued.length).toBeGreaterThan(5);
      for (const secret of [provider.clientSecret!, ...provider.issued]) expect(all).not.toContain(secret);
    });
  });
});
