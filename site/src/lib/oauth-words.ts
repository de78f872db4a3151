/**
 * What the Authentication card says after Connect, the callback or Disconnect, chosen by a code in
 * the query string (never free text: a crafted link can only pick among the sentences written here).
 */
import { isUnavailable } from './vault-state.ts';

const REASONS: Record<string, string> = {
  connector_not_approved:
    'Connect is open only for an approved connector: its authorize and token URLs are where the client secret and the tokens go, so an operator reviews them first. Approve the manifest above, then Connect.',
  not_oauth: "This connector's manifest has no oauth block, so there is nothing to connect. Set its keys by hand.",
  key_not_set: 'Set the OAuth client ID (and the client secret, when the manifest declares one) on this card first, then Connect.',
  not_bound:
    'The client ID or secret was set before Connect was available, or for another token URL. Set it again on this card (the site then marks it as the client credential of the manifest\'s token URL), then Connect.',
  key_unreadable:
    'vault-agent could not read the client ID or secret (in SOPS mode it needs VAULT_AGE_IDENTITY_FILE). See its log, then Connect again.',
  vault_unavailable: 'vault-agent is not reachable, so nothing can be connected right now. Start it (npm start) and try again.',
  untrusted_socket: "vault-agent's socket is in a directory this site does not trust, so nothing was sent to it. Use npm start's own vault-agent.",
  invalid_grant: 'The provider refused the authorization code (expired, already used, or not issued for this client). Nothing was stored. Connect again.',
  invalid_client: 'The provider did not accept the client ID and secret. Check them in the provider console, set them again here, then Connect.',
  token_refused: 'The provider refused the code exchange. Nothing was stored. Connect again; if it persists, check the OAuth client in the provider console.',
  token_endpoint_unreachable: "The provider's token endpoint could not be reached. Nothing was stored. Check the network and Connect again.",
  token_endpoint_bad_response: "The provider's token endpoint did not answer with a token. Nothing was stored. Connect again later.",
  no_refresh_token:
    'The provider granted access but issued no refresh token, so nothing was stored. Ask it for offline access (Google: authorize_params access_type: offline and prompt: consent; GitHub: a GitHub App with expiring user tokens), then Connect again.',
  changed_meanwhile: 'The connector changed while you were at the provider (it is no longer approved as it was), so nothing was stored. Review it, then Connect again.',
  not_connected: 'There is no refresh token to remove: the connector was not connected.',
  invalid_body: 'The form was incomplete. Reload the page and try again.',
};

export function oauthReason(code: string): string {
  if (isUnavailable(code)) return REASONS.vault_unavailable!;
  return REASONS[code] ?? `That did not work (${code}). Reload the page and try again.`;
}

/** The card's message after a redirect back (?oauth=connected|disconnected or ?oauth_error=CODE). */
export function readOAuthFlash(params: URLSearchParams): { kind: 'ok' | 'error'; text: string } | null {
  const done = params.get('oauth');
  if (done === 'connected') return { kind: 'ok', text: 'Connected. vault-agent stored the refresh token; it is not shown anywhere.' };
  if (done === 'disconnected') return { kind: 'ok', text: 'Disconnected: the refresh token was deleted from the vault. Revoke the grant at the provider too if it should stop working there.' };
  const error = params.get('oauth_error');
  if (error && /^[a-z_]{1,40}$/.test(error)) return { kind: 'error', text: oauthReason(error) };
  return null;
}
