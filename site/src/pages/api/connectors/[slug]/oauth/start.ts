/**
 * Connect: POST /api/connectors/{slug}/oauth/start (form with `csrf`, or JSON with x-csrf-token)
 * answers 303 to the provider's authorize URL: response_type=code, the client ID (from vault-agent,
 * only for a key bound as this token URL's client ID), the manifest's scopes joined by its
 * separator, redirect_uri on this site's own origin, a one-time state bound to this session for 10
 * minutes, a PKCE S256 challenge, and the manifest's authorize_params. Only for an approved
 * connector: its authorize and token URLs were reviewed. Nothing is written here.
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { SLUG_RE, isJson, json, notFound, parseBody, redirect, statusFor } from '../../../../../lib/api.ts';
import { authorizeUrl, manifestScopes, oauthBlockOf } from '../../../../../lib/oauth-connect.ts';
import { oauthReason } from '../../../../../lib/oauth-words.ts';
import { getOAuthConnector } from '../../../../../lib/queries/oauth.ts';
import { isUnavailable } from '../../../../../lib/vault-state.ts';

export const POST: APIRoute = async ({ params, request, locals, url }) => {
  const slug = params.slug ?? '';
  if (!SLUG_RE.test(slug)) return notFound(request, 'No such connector.');
  const connector = await getOAuthConnector(locals.db, slug);
  if (!connector) return notFound(request, `No connector "${slug}".`);
  const fail = (code: string) =>
    isJson(request) ? json(statusFor(code), { ok: false, code, message: oauthReason(code) }) : redirect(`/connectors/${slug}`, { oauth_error: code }, '#auth');

  const oauth = oauthBlockOf(connector.manifest);
  if (!oauth) return fail('not_oauth');
  if (connector.status !== 'approved') return fail('connector_not_approved');
  if (!(await parseBody(request, z.object({}))).ok) return fail('invalid_body');

  const client = await locals.vault
    .oauthClient({
      client_id_key: oauth.client_id_key,
      ...(oauth.client_secret_key ? { client_secret_key: oauth.client_secret_key } : {}),
      token_url: oauth.token_url,
    })
    .catch(() => ({ ok: false as const, code: 'vault_unavailable', message: '' }));
  if (!client.ok) {
    const code = isUnavailable(client.code) ? 'vault_unavailable' : client.code;
    locals.log(`oauth connect of ${slug}: not started (${code})`);
    return fail(code);
  }

  const scopes = manifestScopes(connector.manifest);
  // This site's own origin as the operator's browser reached it: site/server.ts let only our own
  // Host values through (127.0.0.1, localhost or [::1] with our port). Astro's url says localhost.
  const redirectUri = `http://${request.headers.get('host') ?? new URL(url).host}/oauth/callback`;
  const { state, codeChallenge } = locals.oauth.begin(locals.sessionId, { slug, digest: connector.manifest_digest, redirectUri, requestedScopes: scopes });
  // Only the host is logged: the URL carries the state.
  locals.log(`oauth connect of ${slug}: sent to ${new URL(oauth.authorize_url).host}`);
  return new Response(null, {
    status: 303,
    headers: { Location: authorizeUrl({ oauth, clientId: client.client_id, scopes, redirectUri, state, codeChallenge }) },
  });
};
