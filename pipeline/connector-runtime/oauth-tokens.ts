/**
 * Access tokens for an oauth connector (DESIGN.md "OAuth connect"): `ctx.secrets.accessToken()`.
 *
 * The refresh token lives in the vault (Connect put it there through vault-agent). The source
 * exchanges it at the manifest's token URL and keeps the access token in this process's memory
 * until shortly before `expires_in`. One refresh at a time per connector: concurrent tool calls
 * wait for the refresh in flight instead of each spending the refresh token (a provider that
 * rotates would revoke the grant at the second use). A rotated refresh token is stored back
 * through vault-agent before the new access token is used; if it cannot be stored, the call fails
 * and the next one tries to store it again, so the newest grant is never only in a discarded
 * variable. A refusal with `invalid_grant` records `oauth_refresh_failed` in registry_events (the
 * card then says "Reconnect needed") and the call's error names the connector's page.
 *
 * Every token is added to the connector's redaction as soon as it is received, and no error,
 * event or log line is built from a token: only codes, key names and the provider's own words.
 */
import { requestToken as defaultRequestToken, type TokenRequest, type TokenResult } from '../../vault-agent/src/oauth-token.ts';
import type { ManifestOAuth } from '../schema/manifest.ts';

export type AccessTokenFailureCode =
  /** Connect was never done (no refresh token in the vault), or the client ID is not set. */
  | 'oauth_not_connected'
  /** The provider refused the refresh token (invalid_grant): the operator must Reconnect. */
  | 'oauth_reconnect_needed'
  /** The token endpoint failed otherwise (down, refused the client, bad answer): try again later. */
  | 'oauth_refresh_failed'
  /** A rotated refresh token could not be stored through vault-agent; the call did not use the new token. */
  | 'oauth_refresh_token_unsaved';

export type AccessTokenResult = { ok: true; token: string } | { ok: false; code: AccessTokenFailureCode; message: string };

/** What a handler's failed `accessToken()` throws: the tool result then carries `code` (server.ts). */
export class AccessTokenError extends Error {
  constructor(
    readonly code: AccessTokenFailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'AccessTokenError';
  }
}

export interface AccessTokenSource {
  get(): Promise<AccessTokenResult>;
  /** Forgets the cached access token (say the API answered 401): the next get() refreshes. */
  invalidate(): void;
}

export interface AccessTokenDeps {
  slug: string;
  oauth: ManifestOAuth;
  /** The client ID and secret as loaded at start (undefined when not set). */
  clientId: string | undefined;
  clientSecret: string | undefined;
  /** The refresh token in the vault now (read at every refresh: a Reconnect replaces it), or null. */
  readRefreshToken(): Promise<string | null>;
  /** Stores a rotated refresh token through vault-agent. */
  storeRefreshToken(value: string): Promise<{ ok: true } | { ok: false; code: string; message: string }>;
  /** Records `oauth_refresh_failed` in registry_events; its failure is logged, never thrown. */
  recordFailure(details: { code: string; provider_error: string | null }): Promise<void>;
  /** Adds a token to the connector's redaction (SecretValues.addRedaction). */
  redactFrom(value: string): void;
  /** The connector's page on the site, for messages. */
  page: string;
  log(line: string): void;
  requestToken?: (req: TokenRequest) => Promise<TokenResult>;
  now?: () => number;
}

/** Refresh this long before the access token expires (or at half its life, when that is shorter). */
export const REFRESH_AHEAD_MS = 60_000;
/** Without expires_in, an access token is reused for this long at most. */
export const UNKNOWN_EXPIRY_MS = 10 * 60_000;
/** A failure other than invalid_grant is recorded at most this often (a provider that is down for an hour is one event, not thousands). */
export const FAILURE_EVENT_INTERVAL_MS = 5 * 60_000;

export function createAccessTokenSource(deps: AccessTokenDeps): AccessTokenSource {
  const now = deps.now ?? Date.now;
  const exchange = deps.requestToken ?? defaultRequestToken;
  let cached: { token: string; refreshAt: number } | null = null;
  /** A rotation whose new refresh token vault-agent has not stored yet, with the access token it came with. */
  let unsaved: { refreshToken: string; token: string; refreshAt: number } | null = null;
  let inflight: Promise<AccessTokenResult> | null = null;
  const lastRecorded = new Map<string, number>();

  const fail = (code: AccessTokenFailureCode, message: string): AccessTokenResult => ({ ok: false, code, message });
  const refreshAtFor = (expiresIn: number | null) => {
    if (expiresIn === null) return now() + UNKNOWN_EXPIRY_MS;
    const life = expiresIn * 1000;
    return now() + life - Math.min(REFRESH_AHEAD_MS, life / 2);
  };

  async function record(code: string, providerError: string | null): Promise<void> {
    const last = lastRecorded.get(code);
    if (code !== 'invalid_grant' && last !== undefined && now() - last < FAILURE_EVENT_INTERVAL_MS) return;
    lastRecorded.set(code, now());
    await deps.recordFailure({ code, provider_error: providerError }).catch((err: Error) => deps.log(`could not record the refresh failure in the registry: ${err.message}`));
  }

  /** Stores the pending rotation; on success its access token becomes the cached one. */
  async function saveRotation(): Promise<AccessTokenResult | null> {
    if (!unsaved) return null;
    const stored = await deps.storeRefreshToken(unsaved.refreshToken);
    if (!stored.ok) {
      deps.log(`the rotated refresh token could not be stored through vault-agent (${stored.code}); the call fails until it is`);
      return fail(
        'oauth_refresh_token_unsaved',
        `${deps.slug}: the provider rotated the refresh token, and vault-agent could not store the new one (${stored.code}: ${stored.message}). ` +
          `The call was not made. Start the factory (npm start) so its vault-agent answers, then call again; if this process stops first, Reconnect on ${deps.page}.`,
      );
    }
    cached = { token: unsaved.token, refreshAt: unsaved.refreshAt };
    unsaved = null;
    return { ok: true, token: cached.token };
  }

  async function refresh(): Promise<AccessTokenResult> {
    const pending = await saveRotation();
    if (pending) return pending;
    if (!deps.clientId) {
      return fail('oauth_not_connected', `${deps.slug}: its OAuth client ID (${deps.oauth.client_id_key}) is not set. Set it and Connect on ${deps.page}.`);
    }
    let refreshToken: string | null;
    try {
      refreshToken = await deps.readRefreshToken();
    } catch (err) {
      // The vault reader's messages name the key and the file, never a value.
      return fail('oauth_refresh_failed', `${deps.slug}: could not read its refresh token from the vault: ${(err as Error).message}`);
    }
    if (!refreshToken) {
      return fail('oauth_not_connected', `${deps.slug} is not connected: there is no refresh token in the vault (${deps.oauth.refresh_token_key}). Connect it on ${deps.page}.`);
    }
    // A Reconnect since start put a token in the vault that the start-up redaction does not know.
    deps.redactFrom(refreshToken);
    const result = await exchange({
      tokenUrl: deps.oauth.token_url,
      clientId: deps.clientId,
      ...(deps.clientSecret !== undefined ? { clientSecret: deps.clientSecret } : {}),
      grant: { grant_type: 'refresh_token', refresh_token: refreshToken },
    });
    if (!result.ok) {
      await record(result.code, result.providerError);
      if (result.code === 'invalid_grant') {
        return fail(
          'oauth_reconnect_needed',
          `${deps.slug}: the provider refused its refresh token (${result.message}): the grant was revoked, expired or rotated away. Reconnect it on ${deps.page}.`,
        );
      }
      return fail('oauth_refresh_failed', `${deps.slug}: refreshing its access token failed: ${result.message}. Try again later; the connector's page: ${deps.page}.`);
    }
    deps.redactFrom(result.accessToken);
    const refreshAt = refreshAtFor(result.expiresIn);
    if (result.refreshToken && result.refreshToken !== refreshToken) {
      deps.redactFrom(result.refreshToken);
      unsaved = { refreshToken: result.refreshToken, token: result.accessToken, refreshAt };
      deps.log('the provider rotated the refresh token; storing the new one through vault-agent');
      return (await saveRotation())!;
    }
    cached = { token: result.accessToken, refreshAt };
    return { ok: true, token: cached.token };
  }

  return {
    get() {
      if (cached && now() < cached.refreshAt) return Promise.resolve({ ok: true, token: cached.token });
      // One refresh at a time: every caller meanwhile waits for this one.
      inflight ??= refresh().finally(() => {
        inflight = null;
      });
      return inflight;
    },
    invalidate() {
      cached = null;
    },
  };
}
