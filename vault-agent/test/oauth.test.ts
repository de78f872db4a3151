/**
 * vault-agent's OAuth connect routes against a real OAuth 2.0 server (oauth2-mock-server on
 * loopback): the client ID comes back only for a key written as that token URL's client ID, the
 * client secret goes only to the token URL it was bound to, the exchange stores the refresh token
 * and answers no token, and nothing secret reaches a response, a log line or the audit log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVaultClient, type VaultClient } from '../src/client.ts';
import { privateTempDir, putRaw, rawRequest, startTestAgent, type TestAgent } from './helpers.ts';
import { startMockProvider, type MockProvider } from './oauth-provider.ts';

const ID_KEY = 'PROVIDER_ACME_CLIENT_ID';
const SECRET_KEY = 'PROVIDER_ACME_CLIENT_SECRET';
const REFRESH_KEY = 'PROVIDER_ACME_REFRESH_TOKEN';
const REDIRECT = 'http://127.0.0.1:4321/oauth/callback';

/** What the site does: an authorize request with a PKCE challenge, following the provider back to the code. */
export async function authorize(provider: MockProvider, redirectUri = REDIRECT, scope = 'read write'): Promise<{ code: string; verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const url = new URL(provider.authorizeUrl);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: provider.clientId, redirect_uri: redirectUri, scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256' })) {
    url.searchParams.set(k, v);
  }
  const res = await fetch(url, { redirect: 'manual' });
  const code = new URL(res.headers.get('location')!).searchParams.get('code');
  if (!code) throw new Error('the provider did not redirect back with a code');
  return { code, verifier };
}

describe('vault-agent OAuth routes', () => {
  let root: string;
  let agent: TestAgent;
  let client: VaultClient;
  let provider: MockProvider;
  let elsewhere: MockProvider;
  const responses: string[] = [];
  const record = <T>(r: T) => {
    responses.push(JSON.stringify(r));
    return r;
  };
  const exchange = (over: Record<string, string> = {}, code = 'x', verifier = 'y') =>
    client
      .oauthExchange({
        token_url: provider.tokenUrl,
        client_id_key: ID_KEY,
        client_secret_key: SECRET_KEY,
        refresh_token_key: REFRESH_KEY,
        code,
        code_verifier: verifier,
        redirect_uri: REDIRECT,
        ...over,
      })
      .then(record);

  beforeAll(async () => {
    root = await privateTempDir();
    agent = await startTestAgent(root);
    client = createVaultClient(agent.socketPath);
    provider = await startMockProvider();
    elsewhere = await startMockProvider({ clientId: provider.clientId, clientSecret: provider.clientSecret });
    expect((await client.put(ID_KEY, provider.clientId, { role: 'client_id', token_url: provider.tokenUrl })).ok).toBe(true);
    expect((await client.put(SECRET_KEY, provider.clientSecret!, { role: 'client_secret', token_url: provider.tokenUrl })).ok).toBe(true);
  });
  afterAll(async () => {
    client?.close();
    await agent?.close();
    await provider?.stop();
    await elsewhere?.stop();
    await fs.rm(root, { recursive: true, force: true });
  });

  it('answers the client ID of a key written as that token URL\'s client ID', async () => {
    const r = record(await client.oauthClient({ client_id_key: ID_KEY, client_secret_key: SECRET_KEY, token_url: provider.tokenUrl }));
    expect(r).toEqual({ ok: true, client_id: provider.clientId, name: ID_KEY });
  });

  it('never answers the value of a client secret, or of a key without a binding', async () => {
    const asId = record(await client.oauthClient({ client_id_key: SECRET_KEY, token_url: provider.tokenUrl }));
    expect(asId).toMatchObject({ ok: false, code: 'not_bound', status: 409 });
    await client.put('PROVIDER_ACME_API_KEY', 'plain-api-key-value-7f3a');
    const plain = record(await client.oauthClient({ client_id_key: 'PROVIDER_ACME_API_KEY', token_url: provider.tokenUrl }));
    expect(plain).toMatchObject({ ok: false, code: 'not_bound' });
    expect(JSON.stringify(plain)).not.toContain('plain-api-key-value-7f3a');
  });

  it('a key bound to another token URL is not this one\'s client ID', async () => {
    const r = record(await client.oauthClient({ client_id_key: ID_KEY, token_url: elsewhere.tokenUrl }));
    expect(r).toMatchObject({ ok: false, code: 'not_bound' });
    expect((r as { message: string }).message).toContain('another token endpoint');
  });

  it('exchanges a PKCE code at the bound token URL, stores the refresh token, and answers only what was granted', async () => {
    const { code, verifier } = await authorize(provider);
    const r = await exchange({}, code, verifier);
    expect(r).toMatchObject({ ok: true, name: REFRESH_KEY, scope: 'read write', expires_in: 3600 });
    const stored = await fs.readFile(join(agent.vaultDir, `${REFRESH_KEY}.txt`), 'utf8');
    expect(provider.liveRefreshTokens.has(stored)).toBe(true);
    expect(provider.calls.at(-1)).toMatchObject({ grantType: 'authorization_code', basic: true });
    expect(provider.calls.at(-1)!.body.code_verifier).toBe(verifier);
  });

  it('a wrong PKCE verifier is refused by the provider and nothing is written', async () => {
    const before = await fs.readFile(join(agent.vaultDir, `${REFRESH_KEY}.txt`), 'utf8').catch(() => null);
    const { code } = await authorize(provider);
    const r = await exchange({}, code, randomBytes(32).toString('base64url'));
    expect(r).toMatchObject({ ok: false, code: 'token_refused', status: 502 });
    expect((r as { message: string }).message).toContain('code_verifier provided does not match code_challenge');
    expect(await fs.readFile(join(agent.vaultDir, `${REFRESH_KEY}.txt`), 'utf8').catch(() => null)).toBe(before);
  });

  it('never sends the client secret to a token URL it was not bound to', async () => {
    const { code, verifier } = await authorize(elsewhere);
    const r = await exchange({ token_url: elsewhere.tokenUrl }, code, verifier);
    expect(r).toMatchObject({ ok: false, code: 'not_bound' });
    expect(elsewhere.calls).toEqual([]);
  });

  it('overwriting a client credential without the binding unbinds it; so does deleting it', async () => {
    await client.put(ID_KEY, provider.clientId);
    expect(await client.oauthClient({ client_id_key: ID_KEY, token_url: provider.tokenUrl })).toMatchObject({ ok: false, code: 'not_bound' });
    await client.put(ID_KEY, provider.clientId, { role: 'client_id', token_url: provider.tokenUrl });
    expect(await client.oauthClient({ client_id_key: ID_KEY, token_url: provider.tokenUrl })).toMatchObject({ ok: true });
    await client.remove(ID_KEY);
    await putRaw(agent.socketPath, ID_KEY, JSON.stringify({ value: provider.clientId }));
    expect(await client.oauthClient({ client_id_key: ID_KEY, token_url: provider.tokenUrl })).toMatchObject({ ok: false, code: 'not_bound' });
    await client.put(ID_KEY, provider.clientId, { role: 'client_id', token_url: provider.tokenUrl });
  });

  it('retries with the secret in the body when the endpoint refuses HTTP Basic', async () => {
    const strict = await startMockProvider({ refuseBasic: true });
    try {
      await client.put('PROVIDER_STRICT_CLIENT_ID', strict.clientId, { role: 'client_id', token_url: strict.tokenUrl });
      await client.put('PROVIDER_STRICT_CLIENT_SECRET', strict.clientSecret!, { role: 'client_secret', token_url: strict.tokenUrl });
      const { code, verifier } = await authorize(strict);
      const r = await exchange({ token_url: strict.tokenUrl, client_id_key: 'PROVIDER_STRICT_CLIENT_ID', client_secret_key: 'PROVIDER_STRICT_CLIENT_SECRET', refresh_token_key: 'PROVIDER_STRICT_REFRESH_TOKEN' }, code, verifier);
      expect(r).toMatchObject({ ok: true });
      expect(strict.calls.map((c) => c.basic)).toEqual([true, false]);
      expect(strict.calls[1]!.body.client_secret).toBe(strict.clientSecret);
    } finally {
      await strict.stop();
    }
  });

  it('a token endpoint that is down is reported as unreachable, and nothing is written', async () => {
    const gone = await startMockProvider({ clientId: provider.clientId, clientSecret: provider.clientSecret });
    await client.put('PROVIDER_GONE_CLIENT_ID', gone.clientId, { role: 'client_id', token_url: gone.tokenUrl });
    await gone.stop();
    const r = await exchange({ token_url: gone.tokenUrl, client_id_key: 'PROVIDER_GONE_CLIENT_ID', client_secret_key: undefined as unknown as string, refresh_token_key: 'PROVIDER_GONE_REFRESH_TOKEN' });
    expect(r).toMatchObject({ ok: false, code: 'token_endpoint_unreachable' });
    expect((await client.status('PROVIDER_GONE_REFRESH_TOKEN'))).toMatchObject({ ok: true, set: false });
  });

  it('refuses plain http to a host other than 127.0.0.1 or localhost before reading any key', async () => {
    const r = record(await rawRequest(agent.socketPath, 'POST', '/v1/oauth/client', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id_key: ID_KEY, token_url: 'http://evil.example/token' }),
    }));
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ ok: false, code: 'invalid_body' });
  });

  it('no token, code, verifier or client secret in any answer, log line or audit record', async () => {
    const audit = await fs.readFile(agent.auditLogPath, 'utf8');
    const everything = `${responses.join('\n')}\n${agent.logs.join('\n')}\n${audit}`;
    expect(provider.issued.length).toBeGreaterThan(0);
    for (const token of [...provider.issued, provider.clientSecret!]) expect(everything).not.toContain(token);
    for (const call of provider.calls) {
      for (const field of ['code', 'code_verifier']) if (call.body[field]) expect(everything).not.toContain(call.body[field]);
    }
    expect(audit).toContain('"action":"oauth_exchange"');
    expect(audit).toContain('"action":"oauth_client"');
  });
});
