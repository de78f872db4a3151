/**
 * Disconnect: POST /api/connectors/{slug}/oauth/disconnect (with `csrf`) deletes the refresh token
 * (the manifest's refresh_token_key) through vault-agent and records `oauth_disconnected`.
 * The grant itself lives on at the provider until revoked there; the card says so.
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { SLUG_RE, isJson, json, notFound, parseBody, redirect, statusFor } from '../../../../../lib/api.ts';
import { oauthBlockOf } from '../../../../../lib/oauth-connect.ts';
import { oauthReason } from '../../../../../lib/oauth-words.ts';
import { getOAuthConnector, recordOAuthEvent } from '../../../../../lib/queries/oauth.ts';
import { isUnavailable } from '../../../../../lib/vault-state.ts';

export const POST: APIRoute = async ({ params, request, locals }) => {
  const slug = params.slug ?? '';
  if (!SLUG_RE.test(slug)) return notFound(request, 'No such connector.');
  const connector = await getOAuthConnector(locals.db, slug);
  if (!connector) return notFound(request, `No connector "${slug}".`);
  const back = `/connectors/${slug}`;
  const fail = (code: string) =>
    isJson(request) ? json(statusFor(code), { ok: false, code, message: oauthReason(code) }) : redirect(back, { oauth_error: code }, '#auth');

  const oauth = oauthBlockOf(connector.manifest);
  if (!oauth) return fail('not_oauth');
  if (!(await parseBody(request, z.object({}))).ok) return fail('invalid_body');

  const removed = await locals.vault.remove(oauth.refresh_token_key).catch(() => ({ ok: false as const, code: 'vault_unavailable', message: '' }));
  if (!removed.ok) {
    const code = removed.code === 'not_found' ? 'not_connected' : isUnavailable(removed.code) ? 'vault_unavailable' : removed.code;
    locals.log(`oauth disconnect of ${slug}: ${code}`);
    return fail(code);
  }
  await recordOAuthEvent(locals.db, { slug, kind: 'oauth_disconnected', actor: locals.actor, details: { key: oauth.refresh_token_key } });
  locals.log(`oauth disconnect of ${slug}: refresh token deleted`);
  return isJson(request) ? json(200, { ok: true }) : redirect(back, { oauth: 'disconnected' }, '#auth');
};
