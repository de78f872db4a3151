/**
 * One request to an OAuth 2.0 token endpoint (RFC 6749 §4.1.3 code exchange, §6 refresh), shared by
 * vault-agent's code exchange and the connector runtime's refresh. It resolves to a result, never
 * throws, and no result or message ever carries a token, a code, a verifier or the client secret:
 * only the provider's error code and a cleaned description, which the provider wrote.
 *
 * Client authentication (§2.3.1): with a secret, HTTP Basic first (every server must accept it),
 * then once more with the secret in the body when the endpoint says the client is unknown
 * (401, invalid_client, unauthorized_client, or GitHub's 200 incorrect_client_credentials); a code
 * or refresh token is not consumed by a request whose client did not authenticate. Without a
 * secret (a public client, PKCE alone) the client id goes in the body.
 *
 * Redirects are never followed: a credential goes to the token URL itself or nowhere.
 */
import { isAllowedOAuthEndpoint } from '../../pipeline/schema/manifest.ts';

/** The manifest's endpoint rule (https, or http on loopback; no credentials or fragment), one definition for both. */
export const isAllowedTokenUrl = isAllowedOAuthEndpoint;

export interface TokenRequest {
  tokenUrl: string;
  clientId: string;
  /** Absent for a public client. */
  clientSecret?: string;
  /** grant_type and its fields: {grant_type: 'authorization_code', code, code_verifier, redirect_uri} or {grant_type: 'refresh_token', refresh_token}. */
  grant: Record<string, string>;
  /** Default 10 s. */
  timeoutMs?: number;
  /** Test seam. Default: the global fetch. */
  fetch?: typeof fetch;
}

export interface TokenGrant {
  accessToken: string;
  /** A new refresh token, when the endpoint issued one (a code exchange, or a rotation). */
  refreshToken: string | null;
  /** Seconds, when the endpoint said. */
  expiresIn: number | null;
  /** The granted scopes as the endpoint wrote them (space or comma separated), when it said. */
  scope: string | null;
}

export type TokenFailureCode =
  /** The grant is dead (revoked, expired, already used): the operator must connect again. */
  | 'invalid_grant'
  /** The endpoint does not accept this client id / secret. */
  | 'invalid_client'
  /** Any other OAuth error the endpoint answered. */
  | 'token_refused'
  /** No answer: connection refused, DNS, TLS, timeout. */
  | 'token_endpoint_unreachable'
  /** An answer that is not a token response (HTML, 5xx, no access_token, a redirect). */
  | 'token_endpoint_bad_response'
  | 'invalid_token_url';

export type TokenResult =
  | ({ ok: true } & TokenGrant)
  | { ok: false; code: TokenFailureCode; message: string; providerError: string | null };

/** Errors that mean "this grant will never work again" (GitHub says bad_refresh_token / bad_verification_code). */
const DEAD_GRANT = new Set(['invalid_grant', 'bad_refresh_token', 'bad_verification_code']);
const BAD_CLIENT = new Set(['invalid_client', 'unauthorized_client', 'incorrect_client_credentials']);
const MAX_RESPONSE_BYTES = 64 * 1024;

export async function requestToken(req: TokenRequest): Promise<TokenResult> {
  if (!isAllowedTokenUrl(req.tokenUrl)) {
    return failure('invalid_token_url', `the token URL is not https (or http on 127.0.0.1/localhost), so nothing was sent to it`, null);
  }
  const host = new URL(req.tokenUrl).host;
  const first = await post(req, req.clientSecret === undefined ? 'public' : 'basic', host);
  if (first.kind === 'client_refused' && req.clientSecret !== undefined) {
    const second = await post(req, 'body', host);
    return second.result;
  }
  return first.result;
}

type Attempt = { kind: 'done' | 'client_refused'; result: TokenResult };

async function post(req: TokenRequest, auth: 'basic' | 'body' | 'public', host: string): Promise<Attempt> {
  const body = new URLSearchParams(req.grant);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
    'user-agent': 'connector-factory-oauth/1',
  };
  if (auth === 'basic') {
    headers.authorization = `Basic ${Buffer.from(`${formEncode(req.clientId)}:${formEncode(req.clientSecret!)}`).toString('base64')}`;
  } else {
    body.set('client_id', req.clientId);
    if (auth === 'body') body.set('client_secret', req.clientSecret!);
  }
  let res: Response;
  let text: string;
  try {
    res = await (req.fetch ?? fetch)(req.tokenUrl, {
      method: 'POST',
      headers,
      body: body.toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs ?? 10_000),
    });
    text = await readLimited(res);
  } catch (err) {
    const why = (err as Error)?.name === 'TimeoutError' ? `did not answer within ${Math.round((req.timeoutMs ?? 10_000) / 1000)} s` : `could not be reached (${causeCode(err)})`;
    return { kind: 'done', result: failure('token_endpoint_unreachable', `the token endpoint at ${host} ${why}`, null) };
  }
  if (res.status >= 300 && res.status < 400) {
    return { kind: 'done', result: failure('token_endpoint_bad_response', `the token endpoint at ${host} answered a redirect (${res.status}), which is never followed with credentials`, null) };
  }
  const fields = parseFields(text, res.headers.get('content-type'));
  const providerError = typeof fields?.error === 'string' ? cleanCode(fields.error) : null;
  if (providerError !== null || res.status >= 400) {
    const described = typeof fields?.error_description === 'string' ? ` (${cleanText(fields.error_description)})` : '';
    const said = providerError ? `${providerError}${described}` : `HTTP ${res.status}`;
    if ((providerError && BAD_CLIENT.has(providerError)) || res.status === 401) {
      return { kind: 'client_refused', result: failure('invalid_client', `the token endpoint at ${host} did not accept the client ID and secret: ${said}`, providerError) };
    }
    if (providerError && DEAD_GRANT.has(providerError)) {
      return { kind: 'done', result: failure('invalid_grant', `the token endpoint at ${host} refused the grant: ${said}`, providerError) };
    }
    if (!providerError) {
      return { kind: 'done', result: failure('token_endpoint_bad_response', `the token endpoint at ${host} answered HTTP ${res.status} without an OAuth error`, null) };
    }
    return { kind: 'done', result: failure('token_refused', `the token endpoint at ${host} refused the request: ${said}`, providerError) };
  }
  const access = fields?.access_token;
  if (typeof access !== 'string' || access === '') {
    return { kind: 'done', result: failure('token_endpoint_bad_response', `the token endpoint at ${host} answered without an access_token`, null) };
  }
  const refresh = typeof fields?.refresh_token === 'string' && fields.refresh_token !== '' ? fields.refresh_token : null;
  const expires = Number(fields?.expires_in);
  const scope = typeof fields?.scope === 'string' && fields.scope.trim() !== '' ? fields.scope : null;
  return {
    kind: 'done',
    result: { ok: true, accessToken: access, refreshToken: refresh, expiresIn: Number.isFinite(expires) && expires > 0 ? expires : null, scope },
  };
}

/** The granted scopes of a token response, split on spaces and commas (GitHub answers "repo,gist"). */
export function grantedScopes(scope: string | null, separator = ' '): string[] | null {
  if (scope === null) return null;
  return [...new Set(scope.split(separator).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))];
}

function failure(code: TokenFailureCode, message: string, providerError: string | null): TokenResult {
  return { ok: false, code, message, providerError };
}

/** application/x-www-form-urlencoded, as §2.3.1 asks for the Basic credentials. */
function formEncode(text: string): string {
  return new URLSearchParams({ x: text }).toString().slice(2);
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel().catch(() => {});
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON (the standard) or form-encoded (GitHub without Accept); null when neither. */
function parseFields(text: string, contentType: string | null): Record<string, unknown> | null {
  const type = (contentType ?? '').toLowerCase();
  try {
    if (type.includes('json') || text.trimStart().startsWith('{')) {
      const v: unknown = JSON.parse(text);
      return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    }
    if (type.includes('x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  } catch {
    return null;
  }
  return null;
}

/** A provider's error code as printable ASCII without spaces, at most 64 characters. */
function cleanCode(text: string): string {
  const code = text.replace(/[^\x21-\x7e]/g, '').slice(0, 64);
  return code || 'unknown_error';
}

/** A provider's description without control or bidi characters, at most 300 characters. */
export function cleanText(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}

function causeCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } })?.cause;
  return typeof cause?.code === 'string' ? cause.code : (err as Error)?.name ?? 'error';
}
