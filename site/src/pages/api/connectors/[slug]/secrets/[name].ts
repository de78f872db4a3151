/**
 * Set key: POST /api/connectors/{slug}/secrets/{NAME} with `value` (form, plus `csrf`) or JSON
 * `{"value"}` (plus header x-csrf-token). The value goes to vault-agent and nowhere else: it is
 * never rendered, logged, stored, or put in a URL. Only the key name reaches registry_events.
 */
import type { APIRoute } from 'astro';
import { z } from 'zod';
import { KEY_NAME_RE, SLUG_RE, isJson, json, notFound, parseBody, redirect, statusFor } from '../../../../../lib/api.ts';
import { findDeclaredKey } from '../../../../../lib/queries/detail.ts';
import { recordKeyEvent } from '../../../../../lib/queries/events.ts';
import { isUnavailable, reasonFor } from '../../../../../lib/vault-state.ts';
import { oauthBindingFor } from '../../../../../lib/oauth-connect.ts';
import { getOAuthConnector } from '../../../../../lib/queries/oauth.ts';

// The byte rules (no NUL, no surrounding whitespace, at most 64 KiB) belong to vault-agent, which
// answers with a code the page explains; here only the shape is checked.
const body = z.object({ value: z.string().min(1).max(65_536) });

export const POST: APIRoute = async ({ params, request, locals }) => {
  const slug = params.slug ?? '';
  const name = params.name ?? '';
  if (!SLUG_RE.test(slug) || !KEY_NAME_RE.test(name)) return notFound(request, 'No such connector key.');
  const declared = await findDeclaredKey(locals.db, slug, name);
  if (!declared) return notFound(request, `Connector "${slug}" does not declare a key named ${name}.`);

  const back = `/connectors/${slug}`;
  const fail = (code: string) =>
    isJson(request)
      ? json(statusFor(code), { ok: false, code, message: reasonFor(code) })
      : redirect(back, { key: name, error: code }, '#auth');

  if (declared.status === 'retired') return fail('retired');
  // A key name belongs to one connector: a name another connector declares or owns is refused,
  // since the value would reach that connector too (a registry from before the rule may share one).
  if (declared.sharedWith.length > 0) {
    if (!isJson(request)) return fail('key_shared');
    const others = declared.sharedWith.map((s) => `"${s}"`).join(', ');
    return json(409, {
      ok: false,
      code: 'key_shared',
      message: `The key name ${name} is also declared by connector ${others}, so it cannot be set: each of them would read the value. Rename the key in all manifests but one, then sync.`,
    });
  }
  const parsed = await parseBody(request, body);
  if (!parsed.ok) return fail('invalid_body');

  // The client ID and secret an oauth block names are marked as that token URL's client credentials,
  // so vault-agent uses them for Connect, and only there (vault-agent/src/oauth-bindings.ts).
  const binding = oauthBindingFor(name, (await getOAuthConnector(locals.db, slug))?.manifest ?? null);
  let result: Awaited<ReturnType<typeof locals.vault.put>>;
  try {
    result = await (binding ? locals.vault.put(name, parsed.data.value, binding) : locals.vault.put(name, parsed.data.value));
  } catch {
    // A thrown error from the client may describe the request; it is dropped, not logged.
    result = { ok: false, code: 'vault_unavailable', message: '' };
  }
  const code = result.ok ? null : isUnavailable(result.code) ? 'vault_unavailable' : result.code;
  await recordKeyEvent(locals.db, {
    slug,
    keyName: name,
    actor: locals.actor,
    outcome: code ? 'key_set_failed' : 'key_set',
    ...(code ? { code } : {}),
  });
  locals.log(`key ${name} of ${slug}: ${code ?? 'set'}`);
  if (code) return fail(code);
  return isJson(request) ? json(200, { ok: true }) : redirect(back, { set: name }, '#auth');
};
