/**
 * OAuth connect's pure parts for the pages: the oauth block of a registry manifest, the authorize
 * URL, what a callback's refusal or a provider's error says, the granted-scope report, and the
 * connector page's Content-Security-Policy (its Connect form posts to /oauth/start, which answers
 * 303 to the provider: browsers check that redirect against form-action).
 */
import { CONTENT_SECURITY_POLICY } from '../../http/security.ts';
import type { OAuthBinding, StateRefusal } from './ports.ts';

export interface OAuthBlock {
  authorize_url: string;
  token_url: string;
  client_id_key: string;
  client_secret_key?: string;
  refresh_token_key: string;
  scope_separator: string;
  authorize_params: Record<string, string>;
}

/** The oauth block of a manifest as synced (the registry keeps the parsed manifest), or null. */
export function oauthBlockOf(manifest: unknown): OAuthBlock | null {
  const o = (manifest as { oauth?: unknown } | null)?.oauth as Record<string, unknown> | undefined;
  if (!o || typeof o !== 'object') return null;
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const authorize = str(o.authorize_url);
  const token = str(o.token_url);
  const id = str(o.client_id_key);
  const refresh = str(o.refresh_token_key);
  if (!authorize || !token || !id || !refresh) return null;
  const params: Record<string, string> = {};
  if (o.authorize_params && typeof o.authorize_params === 'object') {
    for (const [k, v] of Object.entries(o.authorize_params)) if (typeof v === 'string') params[k] = v;
  }
  const secret = str(o.client_secret_key);
  return {
    authorize_url: authorize,
    token_url: token,
    client_id_key: id,
    ...(secret ? { client_secret_key: secret } : {}),
    refresh_token_key: refresh,
    scope_separator: typeof o.scope_separator === 'string' && o.scope_separator.length === 1 ? o.scope_separator : ' ',
    authorize_params: params,
  };
}

/** The vault-agent binding for a key an oauth block names as client ID or secret, else null. */
export function oauthBindingFor(keyName: string, manifest: unknown): OAuthBinding | null {
  const oauth = oauthBlockOf(manifest);
  if (!oauth) return null;
  if (keyName === oauth.client_id_key) return { role: 'client_id', token_url: oauth.token_url };
  if (keyName === oauth.client_secret_key) return { role: 'client_secret', token_url: oauth.token_url };
  return null;
}

/** The scope names of a manifest as synced, in manifest order. */
export function manifestScopes(manifest: unknown): string[] {
  const scopes = (manifest as { scopes?: unknown } | null)?.scopes;
  return Array.isArray(scopes) ? scopes.map((s) => (s as { name?: unknown })?.name).filter((n): n is string => typeof n === 'string') : [];
}

/**
 * The authorize URL (RFC 6749 §4.1.1 with PKCE): the manifest's extra parameters first, then the
 * ones the site owns (the validator refuses those names in authorize_params; set last, they win anyway).
 */
export function authorizeUrl(args: {
  oauth: OAuthBlock;
  clientId: string;
  scopes: string[];
  redirectUri: string;
  state: string;
  codeChallenge: string;
}): string {
  const url = new URL(args.oauth.authorize_url);
  for (const [k, v] of Object.entries(args.oauth.authorize_params)) url.searchParams.set(k, v);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', args.clientId);
  url.searchParams.set('redirect_uri', args.redirectUri);
  if (args.scopes.length) url.searchParams.set('scope', args.scopes.join(args.oauth.scope_separator));
  url.searchParams.set('state', args.state);
  url.searchParams.set('code_challenge', args.codeChallenge);
  url.searchParams.set('code_challenge_method', 'S256');
  return url.href;
}

/** form-action 'self' plus the provider's authorize origin, for the page holding the Connect form. */
export function cspAllowingAuthorize(authorizeUrl: string): string | null {
  let origin: string;
  try {
    origin = new URL(authorizeUrl).origin;
  } catch {
    return null;
  }
  if (!/^https?:\/\/[A-Za-z0-9.[\]:-]+$/.test(origin)) return null;
  return CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${origin}`);
}

/** What the granted scopes say against the requested ones; null when the provider did not say. */
export function scopeReport(requested: string[], scope: string | null, separator = ' '): { granted: string[]; notGranted: string[] } | null {
  if (scope === null) return null;
  const granted = [...new Set(scope.split(separator).flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))];
  return { granted, notGranted: requested.filter((s) => !granted.includes(s)) };
}

/** Why a callback was refused, for the operator; nothing was written. */
export const STATE_REFUSALS: Record<StateRefusal, { title: string; text: string }> = {
  missing: {
    title: 'This sign-in return has no state',
    text: 'The provider sent you back without the state this site gave it, so the sign-in cannot be matched to a Connect you started. Nothing was stored. Start again with Connect on the connector page.',
  },
  unknown: {
    title: 'This sign-in return does not match a Connect',
    text: 'Its state is not one this site issued (the site may have restarted since, or the link was altered). Nothing was stored. Start again with Connect on the connector page.',
  },
  expired: {
    title: 'This sign-in took too long',
    text: 'A Connect must be completed within 10 minutes. Nothing was stored. Start again with Connect on the connector page.',
  },
  replayed: {
    title: 'This sign-in return was already used',
    text: 'Each Connect can be completed once; this return came a second time (a reload or a replay). Nothing more was stored. The connector page shows whether the first one succeeded.',
  },
  other_session: {
    title: 'This sign-in was started in another session',
    text: 'The Connect was started by a different login to this site, so its result is not accepted here. Nothing was stored. Start again with Connect in this browser.',
  },
};

/** A provider's error code: printable ASCII without spaces, at most 64 characters. */
export function providerCode(text: string | null): string | null {
  if (text === null) return null;
  const code = text.replace(/[^\x21-\x7e]/g, '').slice(0, 64);
  return code || 'unknown_error';
}

/** A provider's description as plain text: no control or bidi characters, at most 300 characters. */
export function providerText(text: string | null): string | null {
  if (text === null) return null;
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/\s+/g, ' ').trim();
  return clean.length > 300 ? `${clean.slice(0, 297)}...` : clean;
}
