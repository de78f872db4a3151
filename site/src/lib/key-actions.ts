/**
 * Set key: POST /api/connectors/{slug}/secrets/{NAME} with `value` (form, plus `csrf`) or JSON
 * `{"value"}` (plus header x-csrf-token). The value goes to vault-agent and nowhere else: it is
 * never rendered, logged, stored, or put in a URL. Only the key name reaches registry_events.
 *
 * Replacing a key that is set asks to confirm (./confirm.ts): without `confirm=yes` /
 * `"confirm": true`, a key vault-agent already holds is not written. A form post then gets the
 * confirmation page, where the operator types the value (a password field; the value posted
 * without confirmation is dropped, never echoed); the card's "Replace…" button posts no value at
 * all, so the value is typed only after confirming. A JSON post gets 400 confirmation_required.
 */
import { z } from 'zod';
import { KEY_NAME_RE, SLUG_RE, isJson, json, notFound, parseBody, redirect, statusFor } from './api.ts';
import { confirmField, confirmed, needsConfirmation, postOnly, respond, type Outcome } from './confirm.ts';
import { formatAgo, formatTime } from './format.ts';
import { findDeclaredKey } from './queries/detail.ts';
import { getKeyNames } from './queries/approval.ts';
import { recordKeyEvent } from './queries/events.ts';
import { isUnavailable, readVaultState, reasonFor } from './vault-state.ts';
import { oauthBindingFor } from './oauth-connect.ts';
import { getOAuthConnector } from './queries/oauth.ts';
import type { SiteLocals } from './ports.ts';

type Locals = Pick<SiteLocals, 'db' | 'vault' | 'actor' | 'log'>;

// The byte rules (no NUL, no surrounding whitespace, at most 64 KiB) belong to vault-agent, which
// answers with a code the page explains; here only the shape is checked. No value: the Replace…
// button's post, which only asks for the confirmation step.
const body = z.object({ value: z.string().min(1).max(65_536).optional(), confirm: confirmField });

export async function setKeyAction(request: Request, locals: Locals, slug: string, name: string): Promise<Outcome> {
  const wrongMethod = postOnly(request);
  if (wrongMethod) return respond(wrongMethod);
  if (!SLUG_RE.test(slug) || !KEY_NAME_RE.test(name)) return respond(notFound(request, 'No such connector key.'));
  const declared = await findDeclaredKey(locals.db, slug, name);
  if (!declared) return respond(notFound(request, `Connector "${slug}" does not declare a key named ${name}.`));

  const back = `/connectors/${slug}`;
  const fail = (code: string): Outcome =>
    respond(
      isJson(request)
        ? json(statusFor(code), { ok: false, code, message: reasonFor(code) })
        : redirect(back, { key: name, error: code }, '#auth'),
    );
  const record = (code: string | null) =>
    recordKeyEvent(locals.db, { slug, keyName: name, actor: locals.actor, outcome: code ? 'key_set_failed' : 'key_set', ...(code ? { code } : {}) });

  if (declared.status === 'retired') return fail('retired');
  // A key name belongs to one connector: a name another connector declares or owns is refused,
  // since the value would reach that connector too (a registry from before the rule may share one).
  if (declared.sharedWith.length > 0) {
    if (!isJson(request)) return fail('key_shared');
    const others = declared.sharedWith.map((s) => `"${s}"`).join(', ');
    return respond(
      json(409, {
        ok: false,
        code: 'key_shared',
        message: `The key name ${name} is also declared by connector ${others}, so it cannot be set: each of them would read the value. Rename the key in all manifests but one, then sync.`,
      }),
    );
  }
  const parsed = await parseBody(request, body);
  if (!parsed.ok) return fail('invalid_body');
  const { value } = parsed.data;

  if (!confirmed(parsed.data.confirm)) {
    // Whether vault-agent holds the key decides: unknown (unreachable) writes nothing either.
    const vault = await readVaultState(locals.vault);
    if (!vault.available) {
      if (value === undefined) return fail('vault_unavailable');
      await record('vault_unavailable');
      locals.log(`key ${name} of ${slug}: vault_unavailable`);
      return fail('vault_unavailable');
    }
    const since = vault.held.get(name);
    if (since) {
      locals.log(`key ${name} of ${slug}: is set, confirmation asked`);
      const names = await getKeyNames(locals.db, slug, name);
      const label = names?.label ?? name;
      return needsConfirmation(
        request,
        {
          title: `Replace the key ${name}?`,
          lead: `${name} (${label}) of ${names?.display_name ?? slug} is set: replacing it overwrites the value vault-agent holds, and the old value cannot be recovered`,
          facts: [
            { term: 'Connector', detail: `${names?.display_name ?? slug} (${slug})` },
            { term: 'Key', detail: name },
            { term: 'Set', detail: `${formatAgo(since)}, ${formatTime(since)}` },
            { term: 'Who reads it', detail: 'this connector, from its next start (a running one keeps the value it loaded)' },
          ],
          secretInput: {
            name: 'value',
            label: `New value for ${label}`,
            hint:
              (value === undefined ? '' : 'The value you sent was not used and is not kept: type it again here. ') +
              'It goes straight to vault-agent and is never shown, logged or stored by this site.',
          },
          action: `/api/connectors/${slug}/secrets/${name}`,
          fields: {},
          confirmLabel: 'Replace key',
          cancelHref: `${back}#auth`,
        },
        'replace it (nothing was stored)',
      );
    }
  }
  if (value === undefined) return fail('invalid_body');

  // The client ID and secret an oauth block names are marked as that token URL's client credentials,
  // so vault-agent uses them for Connect, and only there (vault-agent/src/oauth-bindings.ts).
  const binding = oauthBindingFor(name, (await getOAuthConnector(locals.db, slug))?.manifest ?? null);
  let result: Awaited<ReturnType<typeof locals.vault.put>>;
  try {
    result = await (binding ? locals.vault.put(name, value, binding) : locals.vault.put(name, value));
  } catch {
    // A thrown error from the client may describe the request; it is dropped, not logged.
    result = { ok: false, code: 'vault_unavailable', message: '' };
  }
  const code = result.ok ? null : isUnavailable(result.code) ? 'vault_unavailable' : result.code;
  await record(code);
  locals.log(`key ${name} of ${slug}: ${code ?? 'set'}`);
  if (code) return fail(code);
  return respond(isJson(request) ? json(200, { ok: true }) : redirect(back, { set: name }, '#auth'));
}
