/**
 * vault-agent's two OAuth routes (DESIGN.md "OAuth connect"), for the site's Connect:
 *
 * - `POST /v1/oauth/client` `{client_id_key, client_secret_key?, token_url}` → `{"ok":true,"client_id"}`:
 *   the client ID for the authorize URL, only for a key written as that token URL's client ID (and,
 *   when a secret is named, only while the secret is set and bound to the same URL).
 * - `POST /v1/oauth/exchange` `{token_url, client_id_key, client_secret_key?, refresh_token_key, code,
 *   code_verifier, redirect_uri}` → `{"ok":true,"name","updated_at","scope","expires_in"}`: the agent reads
 *   the client credentials itself, exchanges the code at the token URL they are bound to, writes the
 *   refresh token under refresh_token_key, and answers what was granted: never a token, and the
 *   access token of the exchange is dropped.
 *
 * Bindings (oauth-bindings.ts) keep both routes from sending or returning any other key.
 */
import { loadSecret, VaultReadError, type ReaderOptions } from '../reader/index.ts';
import { agentError, type AgentError } from './errors.ts';
import type { HeldDir } from './held-dir.ts';
import { parseBinding, type BoundStore, type OAuthBinding, type OAuthRole } from './oauth-bindings.ts';
import { requestToken, type TokenRequest, type TokenResult } from './oauth-token.ts';
import { checkPutBody, checkValue, NAME_PATTERN, type Checked } from './validate.ts';

export interface OAuthService {
  client(body: Buffer): Promise<Checked<{ client_id: string; name: string }>>;
  exchange(body: Buffer): Promise<Checked<{ name: string; updated_at: string; scope: string | null; expires_in: number | null }>>;
}

export interface OAuthDeps {
  bound: BoundStore;
  dir: HeldDir;
  /** Test seam: the token endpoint call. */
  requestToken?: (req: TokenRequest) => Promise<TokenResult>;
  /** For SOPS key files: the age identity (default VAULT_AGE_IDENTITY_FILE, as the reader does). */
  ageIdentity?: string;
}

const CODE_MAX = 4096;

export function createOAuthService(deps: OAuthDeps): OAuthService {
  const readerOpts: ReaderOptions = { vaultDir: deps.dir.root, ...(deps.ageIdentity ? { ageIdentity: deps.ageIdentity } : {}) };
  const exchangeToken = deps.requestToken ?? requestToken;

  /** The value of a key bound to `role` at `tokenUrl`, or why not. */
  async function boundValue(name: string, role: OAuthRole, tokenUrl: string): Promise<Checked<string>> {
    const binding = await deps.bound.binding(name);
    if (!binding || binding.role !== role || binding.token_url !== tokenUrl) {
      const what = role === 'client_id' ? 'client ID' : 'client secret';
      return fail(
        'not_bound',
        `Key ${name} is not set as the OAuth ${what} for this token endpoint${binding ? ` (it was set for ${binding.role === role ? 'another token endpoint' : `the ${binding.role.replace('_', ' ')} role`})` : ''}. ` +
          `Set it again on the connector's Authentication card: the site marks it as the ${what} of the manifest's token URL.`,
      );
    }
    try {
      return { ok: true, value: await loadSecret(name, readerOpts) };
    } catch (err) {
      if (err instanceof VaultReadError && err.code === 'missing') return fail('key_not_set', `Key ${name} is not set. Set it on the connector's Authentication card.`);
      const code = err instanceof VaultReadError ? err.code : 'unreadable';
      return fail('key_unreadable', `Key ${name} could not be read by the vault-agent (${code}).${code === 'no_identity' ? ' In SOPS mode the agent needs VAULT_AGE_IDENTITY_FILE to read OAuth client credentials.' : ''}`);
    }
  }

  async function credentials(b: { client_id_key: string; client_secret_key?: string; token_url: string }): Promise<Checked<{ clientId: string; clientSecret?: string }>> {
    const id = await boundValue(b.client_id_key, 'client_id', b.token_url);
    if (!id.ok) return id;
    if (b.client_secret_key === undefined) return { ok: true, value: { clientId: id.value } };
    const secret = await boundValue(b.client_secret_key, 'client_secret', b.token_url);
    if (!secret.ok) return secret;
    return { ok: true, value: { clientId: id.value, clientSecret: secret.value } };
  }

  return {
    async client(body) {
      const parsed = parseRequest(body, ['client_id_key', 'token_url'], ['client_secret_key']);
      if (!parsed.ok) return parsed;
      const b = parsed.value as { client_id_key: string; client_secret_key?: string; token_url: string };
      const creds = await credentials(b);
      if (!creds.ok) return creds;
      return { ok: true, value: { client_id: creds.value.clientId, name: b.client_id_key } };
    },

    async exchange(body) {
      const parsed = parseRequest(body, ['token_url', 'client_id_key', 'refresh_token_key', 'code', 'code_verifier', 'redirect_uri'], ['client_secret_key']);
      if (!parsed.ok) return parsed;
      const b = parsed.value as Record<'token_url' | 'client_id_key' | 'refresh_token_key' | 'code' | 'code_verifier' | 'redirect_uri', string> & { client_secret_key?: string };
      if (b.refresh_token_key === b.client_id_key || b.refresh_token_key === b.client_secret_key) {
        return fail('invalid_body', 'refresh_token_key must differ from the client ID and client secret keys.');
      }
      if (!/^https?:\/\/[^\s]+$/.test(b.redirect_uri) || b.redirect_uri.length > 2048) return fail('invalid_body', 'redirect_uri must be the http(s) URL the authorize request named.');
      const creds = await credentials(b);
      if (!creds.ok) return creds;
      const result = await exchangeToken({
        tokenUrl: b.token_url,
        clientId: creds.value.clientId,
        ...(creds.value.clientSecret !== undefined ? { clientSecret: creds.value.clientSecret } : {}),
        grant: { grant_type: 'authorization_code', code: b.code, code_verifier: b.code_verifier, redirect_uri: b.redirect_uri },
      });
      if (!result.ok) return fail(result.code, `The code exchange failed: ${result.message}.`);
      if (result.refreshToken === null) {
        return fail(
          'no_refresh_token',
          'The token endpoint granted access but issued no refresh token, so nothing was stored. The provider must be asked for offline access ' +
            '(Google: authorize_params access_type: offline and prompt: consent; GitHub: a GitHub App with expiring user tokens).',
        );
      }
      const value = checkValue(result.refreshToken);
      if (!value.ok) return fail('token_endpoint_bad_response', 'The token endpoint issued a refresh token the vault cannot store (empty, too long, or with surrounding whitespace).');
      const status = await deps.bound.put(b.refresh_token_key, value.value, null);
      return { ok: true, value: { name: b.refresh_token_key, updated_at: status.updated_at, scope: result.scope, expires_in: result.expiresIn } };
    },
  };
}

/**
 * A PUT body: `{"value"}` as before, or `{"value", "oauth": {"role", "token_url"}}` from a writer
 * that marks the value as an OAuth client credential (oauth-bindings.ts).
 */
export function checkPutBodyWithBinding(body: Buffer): Checked<{ value: string; binding: OAuthBinding | null }> {
  const plain = checkPutBody(body);
  if (plain.ok) return { ok: true, value: { value: plain.value, binding: null } };
  if (plain.error.code !== 'invalid_body') return plain;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return plain;
  }
  const keys = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? Object.keys(parsed).sort() : [];
  if (keys.length !== 2 || keys[0] !== 'oauth' || keys[1] !== 'value') return plain;
  const binding = parseBinding((parsed as { oauth: unknown }).oauth);
  if (!binding) {
    return fail('invalid_body', 'The "oauth" field must be {"role":"client_id" or "client_secret","token_url":"https://..."} (http only on 127.0.0.1 or localhost).');
  }
  const value = checkValue((parsed as { value: unknown }).value);
  return value.ok ? { ok: true, value: { value: value.value, binding } } : value;
}

/** A JSON object with exactly these string fields (names valid key names where they end in _key). */
function parseRequest(body: Buffer, required: string[], optional: string[]): Checked<Record<string, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    return fail('invalid_json', 'The body is not valid JSON.');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return fail('invalid_body', 'The body must be a JSON object.');
  const o = parsed as Record<string, unknown>;
  const allowed = new Set([...required, ...optional]);
  const extra = Object.keys(o).filter((k) => !allowed.has(k));
  if (extra.length) return fail('invalid_body', `Unknown field(s); this route takes ${[...allowed].join(', ')}.`);
  for (const k of required) if (typeof o[k] !== 'string' || o[k] === '') return fail('invalid_body', `Field ${k} is required (a string).`);
  for (const [k, v] of Object.entries(o)) {
    if (typeof v !== 'string' || v.length > CODE_MAX) return fail('invalid_body', `Field ${k} must be a string of at most ${CODE_MAX} characters.`);
    if (k.endsWith('_key') && !NAME_PATTERN.test(v)) return fail('invalid_name', `Field ${k} is not a valid key name.`);
  }
  if (!parseBinding({ role: 'client_id', token_url: o.token_url })) {
    return fail('invalid_body', 'token_url must be https (http only on 127.0.0.1 or localhost), without user name, password or fragment.');
  }
  return { ok: true, value: o as Record<string, string> };
}

function fail(code: string, message: string): { ok: false; error: AgentError } {
  return { ok: false, error: agentError(code as AgentError['code'], message) };
}
