/**
 * OAuth connect over HTTP, against the real site, vault-agent and registry, with a real OAuth 2.0
 * server (oauth2-mock-server) on loopback as the provider: Connect answers 303 to the authorize URL
 * with everything RFC 6749 + PKCE ask for; the callback stores the refresh token through
 * vault-agent and records who connected and what was granted; every refused callback (missing,
 * unknown, expired, replayed, other-session state) is a 400 that writes nothing; the provider's
 * error is shown as text; Disconnect deletes the token; and no token or client secret appears in a
 * response, a URL the site made, a log line or a database row.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import type { Manifest } from '../../pipeline/schema/manifest.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { createVaultClient } from '../../vault-agent/src/client.ts';
import { startMockProvider, type MockProvider } from '../../vault-agent/test/oauth-provider.ts';
import { csrfFrom, dumpAllTables, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { everythingSeen, form, request, type Reply } from './helpers/http.ts';
import { loginOverHttp } from './helpers/login.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const SLUG = 'acme_video';
const ID_KEY = 'PROVIDER_ACME_VIDEO_CLIENT_ID';
const SECRET_KEY = 'PROVIDER_ACME_VIDEO_CLIENT_SECRET';
const REFRESH_KEY = 'PROVIDER_ACME_VIDEO_REFRESH_TOKEN';

export function oauthManifest(slug: string, provider: MockProvider, extra: Partial<Manifest> = {}): Manifest {
  const upper = slug.toUpperCase();
  return testManifest(slug, {
    auth_mode: 'oauth',
    secrets: [
      { key: `PROVIDER_${upper}_CLIENT_ID`, label: 'OAuth client ID', optional: false },
      { key: `PROVIDER_${upper}_CLIENT_SECRET`, label: 'OAuth client secret', optional: false },
      { key: `PROVIDER_${upper}_REFRESH_TOKEN`, label: 'OAuth refresh token', optional: false },
    ],
    oauth: {
      authorize_url: provider.authorizeUrl,
      token_url: provider.tokenUrl,
      client_id_key: `PROVIDER_${upper}_CLIENT_ID`,
      client_secret_key: `PROVIDER_${upper}_CLIENT_SECRET`,
      refresh_token_key: `PROVIDER_${upper}_REFRESH_TOKEN`,
      scope_separator: ' ',
      authorize_params: { access_type: 'offline', prompt: 'consent' },
    },
    ...extra,
  });
}

describe.each(testBackends())('OAuth connect over HTTP (%s)', (backend) => {
  let f: SiteFixture;
  let provider: MockProvider;
  let csrf: string;
  let clock = Date.now();
  const events = async (kind: string) =>
    (await f.db.query(`SELECT actor, details FROM registry_events WHERE provider_slug = $1 AND kind = $2 ORDER BY id`, [SLUG, kind])).rows;
  const refreshFile = () => readFile(path.join(f.vaultDir, `${REFRESH_KEY}.txt`), 'utf8').catch(() => null);
  // confirm=yes: the keys may be set already (set past the site below), and replacing one is confirmed.
  const setKey = (slug: string, name: string, value: string) =>
    request(`${f.url}/api/connectors/${slug}/secrets/${name}`, { method: 'POST', ...form({ value, csrf, confirm: 'yes' }) });
  const start = (slug = SLUG) => request(`${f.url}/api/connectors/${slug}/oauth/start`, { method: 'POST', ...form({ csrf }) });
  /** Connect, then the provider's consent (its authorize endpoint redirects straight back): the callback URL. */
  const consent = async (slug = SLUG): Promise<string> => {
    const started = await start(slug);
    expect(started.status, started.body).toBe(303);
    const back = await fetch(started.headers.location!, { redirect: 'manual' });
    return back.headers.get('location')!;
  };
  const callback = (url: string, opts: { cookie?: string } = {}) =>
    request(url, opts.cookie ? { session: false, headers: { cookie: opts.cookie } } : {});

  beforeAll(async () => {
    provider = await startMockProvider({ grantScope: 'read_orders' });
    f = await startFixture(backend, { oauthClock: () => clock });
    await seedCatalog(f.db);
    await seedConnectors(f.db, [oauthManifest(SLUG, provider)], 'approved');
    await seedConnectors(f.db, [oauthManifest('draft_video', provider)], 'draft');
    csrf = csrfFrom((await request(`${f.url}/`)).body);
  });
  afterAll(async () => {
    await f?.close();
    await provider?.stop();
  });

  it('Connect is offered only once the client ID and secret are set, and only for an approved connector', async () => {
    const before = await request(`${f.url}/connectors/${SLUG}`);
    expect(before.body).toContain('data-testid="oauth-connect-blocked"');
    expect(before.body).not.toContain('data-testid="oauth-connect"');
    const refused = await start();
    expect(refused.headers.location).toBe(`/connectors/${SLUG}?oauth_error=not_bound#auth`);
    expect(provider.calls).toEqual([]);

    const draft = await request(`${f.url}/api/connectors/draft_video/oauth/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: '{}',
    });
    expect(draft.status).toBe(409);
    expect(JSON.parse(draft.body)).toMatchObject({ ok: false, code: 'connector_not_approved' });
  });

  it('a client ID set past the site (no OAuth binding) is not used for Connect', async () => {
    const direct = createVaultClient(f.vaultSocket);
    await direct.put(ID_KEY, provider.clientId);
    await direct.put(SECRET_KEY, provider.clientSecret!);
    direct.close();
    const refused = await start();
    expect(refused.headers.location).toBe(`/connectors/${SLUG}?oauth_error=not_bound#auth`);
    const shown = await request(`${f.url}${refused.headers.location!.replace(/#.*/, '')}`);
    expect(shown.body).toContain('Set it again on this card');
  });

  it('start answers 303 to the authorize URL: code flow, client ID, scopes, own redirect URI, state, PKCE S256, authorize_params', async () => {
    expect((await setKey(SLUG, ID_KEY, provider.clientId)).status).toBe(303);
    expect((await setKey(SLUG, SECRET_KEY, provider.clientSecret!)).status).toBe(303);
    const page = await request(`${f.url}/connectors/${SLUG}`);
    expect(page.body).toContain('data-testid="oauth-connect"');
    expect(page.headers['content-security-policy']).toContain(`form-action 'self' ${new URL(provider.authorizeUrl).origin}`);

    const started = await start();
    expect(started.status).toBe(303);
    const url = new URL(started.headers.location!);
    expect(`${url.origin}${url.pathname}`).toBe(provider.authorizeUrl);
    const q = url.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(provider.clientId);
    expect(q.get('scope')).toBe('read_orders refund_orders');
    expect(q.get('redirect_uri')).toBe(`${f.url}/oauth/callback`);
    expect(q.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('prompt')).toBe('consent');
    expect(started.headers.location).not.toContain(provider.clientSecret!);
    const again = new URL((await start()).headers.location!).searchParams;
    expect(again.get('state')).not.toBe(q.get('state'));
    expect(again.get('code_challenge')).not.toBe(q.get('code_challenge'));
  });

  describe('a refused callback is a 400 that writes nothing', () => {
    let refreshBefore: string | null;
    let eventsBefore: number;
    let callsBefore: number;
    const nothingWritten = async () => {
      expect(await refreshFile()).toBe(refreshBefore);
      expect((await f.db.query(`SELECT count(*)::int AS n FROM registry_events WHERE kind LIKE 'oauth%'`)).rows[0].n).toBe(eventsBefore);
      expect(provider.calls.length).toBe(callsBefore);
    };
    const expectRefused = (reply: Reply, reason: string, words: string) => {
      expect(reply.status).toBe(400);
      expect(reply.body).toContain(`data-outcome="refused-${reason}"`);
      expect(reply.body).toContain(words);
    };
    beforeAll(async () => {
      refreshBefore = await refreshFile();
      eventsBefore = (await f.db.query(`SELECT count(*)::int AS n FROM registry_events WHERE kind LIKE 'oauth%'`)).rows[0].n;
      callsBefore = provider.calls.length;
    });

    it('without a state', async () => {
      const url = new URL(await consent());
      url.searchParams.delete('state');
      expectRefused(await callback(url.href), 'missing', 'has no state');
      await nothingWritten();
    });

    it('with a state this site never issued', async () => {
      const url = new URL(await consent());
      url.searchParams.set('state', 'A'.repeat(43));
      expectRefused(await callback(url.href), 'unknown', 'not one this site issued');
      url.searchParams.set('state', '<script>alert(1)</script>');
      const odd = await callback(url.href);
      expectRefused(odd, 'unknown', 'not one this site issued');
      expect(odd.body).not.toContain('<script>alert(1)');
      await nothingWritten();
    });

    it('after 10 minutes', async () => {
      const url = await consent();
      clock += 10 * 60 * 1000 + 1;
      try {
        expectRefused(await callback(url), 'expired', 'within 10 minutes');
      } finally {
        clock = Date.now();
      }
      await nothingWritten();
    });

    it('from another session of this site (a code planted in the operator\'s browser)', async () => {
      const url = await consent();
      const stranger = await loginOverHttp(f.loginUrl);
      expectRefused(await callback(url, { cookie: stranger }), 'other_session', 'another session');
      await nothingWritten();
    });
  });

  it('the callback exchanges the code, stores the refresh token, records who connected and what was granted, and goes back to the card', async () => {
    const url = await consent();
    const back = await callback(url);
    expect(back.status).toBe(303);
    expect(back.headers.location).toBe(`/connectors/${SLUG}?oauth=connected#auth`);
    const stored = await refreshFile();
    expect(stored && provider.liveRefreshTokens.has(stored)).toBe(true);
    const exchange = provider.calls.at(-1)!;
    expect(exchange).toMatchObject({ grantType: 'authorization_code', basic: true });
    expect(exchange.body.redirect_uri).toBe(`${f.url}/oauth/callback`);
    expect(exchange.body.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await events('oauth_connected')).toEqual([
      { actor: 'tester', details: { key: REFRESH_KEY, granted: ['read_orders'], not_granted: ['refund_orders'] } },
    ]);
    const card = await request(`${f.url}${back.headers.location!.replace(/#.*/, '')}`);
    expect(card.body).toContain('data-connected="yes"');
    expect(card.body).toContain('Connected. vault-agent stored the refresh token');
    expect(card.body).toMatch(/data-testid="oauth-since"[^>]*>\s*Connected <time[^>]*>just now<\/time> by tester/);
    expect(card.body).toMatch(/Requested but not granted[^<]*<ul class="scope-list"><li><code>refund_orders<\/code><\/li><\/ul>/);
    expect(card.body).toContain('>Reconnect<');

    // The same return again: replayed, and nothing more is written.
    const callsBefore = provider.calls.length;
    const replay = await callback(url);
    expect(replay.status).toBe(400);
    expect(replay.body).toContain('data-outcome="refused-replayed"');
    expect(provider.calls.length).toBe(callsBefore);
    expect(await refreshFile()).toBe(stored);
    expect(await events('oauth_connected')).toHaveLength(1);
  });

  it('the provider\'s error is shown as text, nothing is stored, and the failure is recorded', async () => {
    const url = new URL(await consent());
    url.searchParams.delete('code');
    url.searchParams.set('error', 'access_denied');
    url.searchParams.set('error_description', 'The user said <b>no</b>\u202e');
    const before = await refreshFile();
    const reply = await callback(url.href);
    expect(reply.status).toBe(400);
    expect(reply.body).toContain('It answered access_denied');
    expect(reply.body).toContain('The user said &lt;b&gt;no&lt;/b&gt;');
    expect(reply.body).not.toContain('<b>no</b>');
    expect(reply.body).not.toContain('\u202e');
    expect(await refreshFile()).toBe(before);
    expect((await events('oauth_connect_failed')).at(-1)).toEqual({ actor: 'tester', details: { code: 'access_denied' } });
  });

  it('a code the provider refuses is reported with its reason and stores nothing', async () => {
    const url = new URL(await consent());
    url.searchParams.set('code', 'not-a-code-the-provider-issued');
    const before = await refreshFile();
    const reply = await callback(url.href);
    expect(reply.status).toBe(502);
    expect(reply.body).toContain('The provider refused the code exchange');
    expect(await refreshFile()).toBe(before);
  });

  it('a refresh the runtime recorded as invalid_grant shows "Reconnect needed"', async () => {
    await f.db.query(`INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ($1, 'oauth_refresh_failed', 'acme_video connector', $2::jsonb)`, [
      SLUG,
      JSON.stringify({ key: REFRESH_KEY, code: 'invalid_grant' }),
    ]);
    const card = await request(`${f.url}/connectors/${SLUG}`);
    expect(card.body).toContain('data-reconnect-needed="yes"');
    expect(card.body).toContain('Reconnect needed: the provider refused the refresh token');
  });

  it('Disconnect deletes the refresh token through vault-agent and records it', async () => {
    const reply = await request(`${f.url}/api/connectors/${SLUG}/oauth/disconnect`, { method: 'POST', ...form({ csrf }) });
    expect(reply.headers.location).toBe(`/connectors/${SLUG}?oauth=disconnected#auth`);
    expect(await refreshFile()).toBeNull();
    expect((await readdir(f.vaultDir)).filter((n) => n.startsWith(REFRESH_KEY))).toEqual([]);
    expect(await events('oauth_disconnected')).toEqual([{ actor: 'tester', details: { key: REFRESH_KEY } }]);
    const card = await request(`${f.url}/connectors/${SLUG}`);
    expect(card.body).toContain('data-connected="no"');
    expect(card.body).toContain('>Connect<');
    const twice = await request(`${f.url}/api/connectors/${SLUG}/oauth/disconnect`, { method: 'POST', ...form({ csrf }) });
    expect(twice.headers.location).toBe(`/connectors/${SLUG}?oauth_error=not_connected#auth`);
  });

  it('canary: no token and no client secret in any response, URL the site made, log line or database row', async () => {
    const all = `${everythingSeen()}\n${f.logs.join('\n')}\n${await dumpAllTables(f.db)}`;
    expect(provider.issued.length).toBeGreaterThanOrEqual(2);
    for (const secret of [provider.clientSecret!, ...provider.issued]) expect(all).not.toContain(secret);
    for (const call of provider.calls) if (call.body.code_verifier) expect(all).not.toContain(call.body.code_verifier);
    if (f.pageCache) for (const body of f.pageCache.bodies()) expect(body).not.toContain(provider.clientSecret!);
  });
});
