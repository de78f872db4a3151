/**
 * The `oauth` block's rules beyond its shape (DESIGN.md, "OAuth connect"): only for the auth modes
 * that authorize, its three key names declared under `secrets` (and distinct), and no
 * authorize_params that would override what the site itself puts in the authorize URL. The URL
 * rule (https, or http on 127.0.0.1/localhost), the flat string map and the one-character
 * separator are the zod schema's (pipeline/schema/manifest.ts).
 */
import { didYouMean, type SuggestBudget } from './suggest.ts';
import { clip } from './terminal-text.ts';
import type { ProblemCode } from './problem-codes.ts';
import type { PathSegment } from './yaml-safe.ts';

/** Query parameters the site sets itself on every authorize URL (response_type, PKCE, state, ...). */
export const RESERVED_AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method'];

const KEY_FIELDS = ['client_id_key', 'client_secret_key', 'refresh_token_key'] as const;

/** Auth modes that do not authorize through OAuth, so take no oauth block. */
export const AUTH_MODES_WITHOUT_OAUTH: readonly string[] = ['byok', 'none'];

type Obj = Record<string, unknown>;
type Report = (path: readonly PathSegment[], code: ProblemCode, message: string, at?: 'key' | 'value') => void;

export function oauthRules(
  manifest: Obj,
  declaredKeys: string[],
  authMode: string | undefined,
  error: Report,
  budget: SuggestBudget,
): void {
  const oauth = manifest.oauth;
  if (oauth === undefined || oauth === null || typeof oauth !== 'object' || Array.isArray(oauth)) return;
  const block = oauth as Obj;

  if (authMode !== undefined && AUTH_MODES_WITHOUT_OAUTH.includes(authMode)) {
    error(['oauth'], 'oauth_not_allowed', `auth_mode ${authMode} does not authorize through OAuth, so it takes no oauth block. Remove oauth, or set auth_mode to oauth or oauth_and_byok.`, 'key');
  }

  const seen = new Map<string, string>();
  for (const field of KEY_FIELDS) {
    const key = block[field];
    if (typeof key !== 'string' || key === '' || /(^|_)TODO(_|$)/.test(key)) continue;
    if (!declaredKeys.includes(key)) {
      const declared = declaredKeys.length ? ` Keys declared: ${declaredKeys.map((k) => clip(k)).join(', ')}.` : '';
      error(['oauth', field], 'oauth_key_undeclared', `oauth.${field} names "${clip(key)}", which is not declared under secrets.${didYouMean(key, declaredKeys, budget)}${declared} Declare it under secrets (key and label), or name one that is.`);
    }
    const other = seen.get(key);
    if (other) error(['oauth', field], 'oauth_key_reused', `oauth.${field} names the same key as oauth.${other} ("${clip(key)}"). The client ID, client secret and refresh token are three different values: give each its own key.`);
    else seen.set(key, field);
  }

  const params = block.authorize_params;
  if (params && typeof params === 'object' && !Array.isArray(params)) {
    for (const name of Object.keys(params)) {
      if (RESERVED_AUTHORIZE_PARAMS.includes(name)) {
        error(['oauth', 'authorize_params', name], 'oauth_param_reserved', `authorize_params.${name} is set by the site itself on every authorize URL (${RESERVED_AUTHORIZE_PARAMS.join(', ')}), so it cannot be given here. Remove it; scopes come from the manifest's scopes.`, 'key');
      }
    }
  }
}
