/**
 * The optional `oauth` block (DESIGN.md, "OAuth connect"), on text alone: each rule has a stable
 * code, the field path and the position it points at, and a message that says what to do.
 */
import { describe, expect, it } from 'vitest';
import { validateManifestText, validateManifestTextFully } from '../manifest.ts';
import { VALID, edit, only, pos, realCatalog } from './helpers.ts';

const catalog = realCatalog();
const FILE = 'connectors/acme/manifest.yaml';

const OAUTH_SECRETS = `secrets:
  - key: PROVIDER_ACME_CLIENT_ID
    label: OAuth client ID
  - key: PROVIDER_ACME_CLIENT_SECRET
    label: OAuth client secret
  - key: PROVIDER_ACME_REFRESH_TOKEN
    label: OAuth refresh token
    optional: true
`;
const OAUTH = `oauth:
  authorize_url: https://accounts.example/o/authorize
  token_url: https://accounts.example/o/token
  client_id_key: PROVIDER_ACME_CLIENT_ID
  client_secret_key: PROVIDER_ACME_CLIENT_SECRET
  refresh_token_key: PROVIDER_ACME_REFRESH_TOKEN
  authorize_params:
    access_type: offline
    prompt: consent
`;
const secretsAt = VALID.indexOf('secrets:\n');
const scopesAt = VALID.indexOf('scopes:\n');
/** VALID with auth_mode oauth, the three OAuth keys and an oauth block. */
const WITH_OAUTH = edit(VALID.slice(0, secretsAt) + OAUTH_SECRETS + VALID.slice(scopesAt), 'auth_mode: byok', 'auth_mode: oauth') + OAUTH;

const check = (text: string) => validateManifestText(text, FILE, catalog, 'acme');
function theError(text: string, code: string) {
  const r = check(text);
  const found = only(r.errors, code);
  expect(found, `errors were ${JSON.stringify(r.errors, null, 1)}`).toHaveLength(1);
  return found[0]!;
}

describe('the oauth block', () => {
  it('a manifest with an oauth block is valid, the separator defaults to one space, and both validators agree', () => {
    const r = check(WITH_OAUTH);
    expect(r.errors).toEqual([]);
    expect(r.connector?.manifest?.oauth).toMatchObject({
      token_url: 'https://accounts.example/o/token',
      scope_separator: ' ',
      authorize_params: { access_type: 'offline', prompt: 'consent' },
    });
    expect(validateManifestTextFully(WITH_OAUTH, FILE, catalog, 'acme').connector?.digest).toBe(r.connector?.digest);
  });

  it('manifests without an oauth block stay valid (the field is optional)', () => {
    expect(check(VALID).errors).toEqual([]);
  });

  it('an authorize or token URL on plain http is refused unless its host is 127.0.0.1 or localhost', () => {
    const text = edit(WITH_OAUTH, 'token_url: https://accounts.example/o/token', 'token_url: http://accounts.example/o/token');
    const p = theError(text, 'invalid_url');
    expect(p).toMatchObject({ path: 'oauth.token_url', ...pos(text, 'token_url: http:', 'http:') });
    expect(p.message).toContain('must be an https:// URL');
    expect(p.message).toContain('127.0.0.1 or localhost');
    for (const local of ['http://127.0.0.1:9000/token', 'http://localhost:9000/token']) {
      expect(check(edit(WITH_OAUTH, 'https://accounts.example/o/token', local)).errors).toEqual([]);
    }
    for (const bad of ['ftp://accounts.example/token', 'not a url', 'http://127.0.0.2/token', 'https://user:pw@accounts.example/token', 'http://localhost.evil.example/token']) {
      expect(only(check(edit(WITH_OAUTH, 'https://accounts.example/o/token', bad)).errors, 'invalid_url'), bad).toHaveLength(1);
    }
  });

  it('an unknown field in the oauth block is an error with a did-you-mean', () => {
    const text = edit(WITH_OAUTH, '  token_url:', '  token_uri:');
    const p = only(check(text).errors, 'unknown_field')[0]!;
    expect(p).toMatchObject({ path: 'oauth.token_uri', ...pos(text, 'token_uri:') });
    expect(p.message).toContain('Did you mean token_url?');
  });

  it('a key name the oauth block uses must be declared under secrets, with a suggestion', () => {
    const text = edit(WITH_OAUTH, 'refresh_token_key: PROVIDER_ACME_REFRESH_TOKEN', 'refresh_token_key: PROVIDER_ACME_REFRESH_TOKN');
    const p = theError(text, 'oauth_key_undeclared');
    expect(p).toMatchObject({ path: 'oauth.refresh_token_key', ...pos(text, 'refresh_token_key:', 'PROVIDER_ACME_REFRESH_TOKN') });
    expect(p.message).toContain('Did you mean PROVIDER_ACME_REFRESH_TOKEN?');
    expect(p.message).toContain('Declare it under secrets');
  });

  it('one key for two roles is refused', () => {
    const text = edit(WITH_OAUTH, 'client_secret_key: PROVIDER_ACME_CLIENT_SECRET', 'client_secret_key: PROVIDER_ACME_CLIENT_ID');
    expect(theError(text, 'oauth_key_reused')).toMatchObject({ path: 'oauth.client_secret_key' });
  });

  it('authorize_params is a flat map of text: a nested value is refused', () => {
    const text = edit(WITH_OAUTH, '    prompt: consent\n', '    prompt:\n      nested: consent\n');
    const p = only(check(text).errors, 'invalid_type')[0]!;
    expect(p).toMatchObject({ path: 'oauth.authorize_params.prompt' });
    expect(p.message).toContain('must be a string');
  });

  it('authorize_params cannot override what the site sets itself (state, redirect_uri, PKCE, ...)', () => {
    const text = edit(WITH_OAUTH, '    prompt: consent\n', '    prompt: consent\n    redirect_uri: https://evil.example/steal\n');
    const p = theError(text, 'oauth_param_reserved');
    expect(p).toMatchObject({ path: 'oauth.authorize_params.redirect_uri', ...pos(text, 'redirect_uri:') });
  });

  it('scope_separator is exactly one character', () => {
    const text = edit(WITH_OAUTH, '  authorize_params:\n', '  scope_separator: ", "\n  authorize_params:\n');
    const p = only(check(text).errors, 'too_big')[0]!;
    expect(p).toMatchObject({ path: 'oauth.scope_separator' });
    expect(p.message).toContain('exactly one character');
    expect(check(edit(WITH_OAUTH, '  authorize_params:\n', '  scope_separator: ","\n  authorize_params:\n')).errors).toEqual([]);
  });

  it('an oauth block is only for auth_mode oauth or oauth_and_byok', () => {
    const text = edit(WITH_OAUTH, 'auth_mode: oauth', 'auth_mode: byok');
    const p = theError(text, 'oauth_not_allowed');
    expect(p).toMatchObject({ path: 'oauth', ...pos(text, 'oauth:') });
    expect(p.message).toContain('set auth_mode to oauth or oauth_and_byok');
    expect(check(edit(WITH_OAUTH, 'auth_mode: oauth', 'auth_mode: oauth_and_byok')).errors).toEqual([]);
  });

  it('the client secret key may be left out (a public client uses PKCE alone)', () => {
    const text = edit(WITH_OAUTH, '  client_secret_key: PROVIDER_ACME_CLIENT_SECRET\n', '');
    expect(check(text).errors).toEqual([]);
  });

  it('the real youtube and github manifests carry oauth blocks that validate', async () => {
    const { readFile } = await import('node:fs/promises');
    for (const slug of ['youtube', 'github']) {
      const text = await readFile(new URL(`../../../connectors/${slug}/manifest.yaml`, import.meta.url), 'utf8');
      const r = validateManifestText(text, `connectors/${slug}/manifest.yaml`, catalog, slug);
      expect(r.errors).toEqual([]);
      expect(r.connector?.manifest?.oauth?.token_url).toMatch(/^https:\/\//);
    }
  });
});
