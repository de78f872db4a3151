/** OAuth connect's pure parts: the authorize URL, the scope report, the states' one-time rules, the page's CSP. */
import { describe, expect, it } from 'vitest';
import { createOAuthStates, STATE_TTL_MS } from '../http/oauth-states.ts';
import { authorizeUrl, cspAllowingAuthorize, oauthBindingFor, oauthBlockOf, providerText, scopeReport } from '../src/lib/oauth-connect.ts';

const MANIFEST = {
  oauth: {
    authorize_url: 'https://accounts.example/o/auth?hd=example.com',
    token_url: 'https://accounts.example/token',
    client_id_key: 'PROVIDER_X_CLIENT_ID',
    client_secret_key: 'PROVIDER_X_CLIENT_SECRET',
    refresh_token_key: 'PROVIDER_X_REFRESH_TOKEN',
    scope_separator: ',',
    authorize_params: { prompt: 'consent', state: 'manifest-cannot-set-this' },
  },
};

describe('OAuth connect helpers', () => {
  it('the authorize URL keeps the endpoint\'s own query, adds authorize_params, and the site\'s parameters win', () => {
    const oauth = oauthBlockOf(MANIFEST)!;
    const url = new URL(authorizeUrl({ oauth, clientId: 'cid', scopes: ['a:read', 'b'], redirectUri: 'http://127.0.0.1:4321/oauth/callback', state: 'S', codeChallenge: 'C' }));
    expect(url.searchParams.get('hd')).toBe('example.com');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('state')).toBe('S');
    expect(url.searchParams.get('scope')).toBe('a:read,b');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
  });

  it('the granted scopes are compared with the requested ones; a provider that says nothing gets no report', () => {
    expect(scopeReport(['a', 'b', 'c'], 'a c', ' ')).toEqual({ granted: ['a', 'c'], notGranted: ['b'] });
    expect(scopeReport(['repo', 'gist'], 'repo,gist', ' ')).toEqual({ granted: ['repo', 'gist'], notGranted: [] });
    expect(scopeReport(['a'], null)).toBeNull();
  });

  it('only the keys an oauth block names as client credentials are bound, to its token URL', () => {
    expect(oauthBindingFor('PROVIDER_X_CLIENT_ID', MANIFEST)).toEqual({ role: 'client_id', token_url: 'https://accounts.example/token' });
    expect(oauthBindingFor('PROVIDER_X_CLIENT_SECRET', MANIFEST)).toEqual({ role: 'client_secret', token_url: 'https://accounts.example/token' });
    expect(oauthBindingFor('PROVIDER_X_REFRESH_TOKEN', MANIFEST)).toBeNull();
    expect(oauthBindingFor('PROVIDER_X_CLIENT_ID', { oauth: undefined })).toBeNull();
  });

  it('the connector page allows its form to reach the provider\'s origin, and nothing else changes in the CSP', () => {
    const csp = cspAllowingAuthorize('https://accounts.example/o/auth?x=1')!;
    expect(csp).toContain("form-action 'self' https://accounts.example;");
    expect(csp).toContain("script-src 'self'");
    expect(cspAllowingAuthorize('not a url')).toBeNull();
  });

  it('a provider\'s description loses control and bidi characters and is cut', () => {
    expect(providerText('a\u202eb\nc\u0007')).toBe('a b c');
    expect(providerText('x'.repeat(400))!.length).toBe(300);
  });
});

describe('one-time OAuth states', () => {
  const pending = { slug: 'x', digest: 'd', redirectUri: 'http://127.0.0.1:1/oauth/callback', requestedScopes: [] };

  it('a state is good once, for its own session, for 10 minutes', () => {
    let now = 1_000_000;
    const states = createOAuthStates(() => now);
    const a = states.begin('session-a', pending);
    expect(states.finish(a.state, 'session-b')).toEqual({ ok: false, reason: 'other_session' });
    const taken = states.finish(a.state, 'session-a');
    expect(taken.ok && taken.pending.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(states.finish(a.state, 'session-a')).toEqual({ ok: false, reason: 'replayed' });
    const b = states.begin('session-a', pending);
    now += STATE_TTL_MS + 1;
    expect(states.finish(b.state, 'session-a')).toEqual({ ok: false, reason: 'expired' });
    expect(states.finish(null, 'session-a')).toEqual({ ok: false, reason: 'missing' });
    expect(states.finish('nope', 'session-a')).toEqual({ ok: false, reason: 'unknown' });
  });

  it('the challenge is the S256 of the verifier kept for the callback', async () => {
    const { createHash } = await import('node:crypto');
    const states = createOAuthStates();
    const a = states.begin('s', pending);
    const taken = states.finish(a.state, 's');
    expect(taken.ok && createHash('sha256').update(taken.pending.verifier).digest('base64url')).toBe(a.codeChallenge);
  });
});
