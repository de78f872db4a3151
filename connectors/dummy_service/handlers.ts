/**
 * Dummy Service's scopes as MCP tool handlers: each one call to its HTTP API with the vault key
 * as a bearer token. Provider failures come back as tool errors with stable codes.
 */
import { z } from 'zod';
import { fail, ok, scopeHandler, type HandlerContext, type HandlerOutcome, type ScopeHandlers } from '#connector-runtime';

export const API_KEY = 'PROVIDER_DUMMY_SERVICE_API_KEY';

async function callApi(
  baseUrl: string,
  method: 'GET' | 'DELETE',
  path: string,
  ctx: HandlerContext,
): Promise<{ ok: true; body: Record<string, unknown> } | { ok: false; outcome: HandlerOutcome }> {
  const url = `${baseUrl.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${ctx.secrets.require(API_KEY)}`, accept: 'application/json' },
      signal: ctx.signal,
    });
  } catch (err) {
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    return { ok: false, outcome: fail('provider_unreachable', `cannot reach Dummy Service at ${baseUrl}: ${reason}`) };
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status === 401) {
    return {
      ok: false,
      outcome: fail(
        'provider_unauthorized',
        `Dummy Service refused the key ${API_KEY} (401). Set the right key on the site's dummy_service page, then restart the connector.`,
      ),
    };
  }
  if (res.status === 404) return { ok: false, outcome: fail('not_found', String(body.message ?? `${method} ${path}: not found`)) };
  if (!res.ok) return { ok: false, outcome: fail('provider_error', `Dummy Service answered ${res.status} to ${method} ${path}`) };
  return { ok: true, body };
}

/** The handlers, keyed by scope name as in manifest.yaml. `baseUrl`: where the API listens. */
export function createDummyServiceHandlers({ baseUrl }: { baseUrl: string }): ScopeHandlers {
  return {
    read_items: scopeHandler({
      async run(_args, ctx) {
        const answer = await callApi(baseUrl, 'GET', '/items', ctx);
        if (!answer.ok) return answer.outcome;
        const items = Array.isArray(answer.body.items) ? answer.body.items : [];
        return ok({ items, count: items.length });
      },
    }),
    delete_items: scopeHandler({
      input: { id: z.string().min(1).describe('The id of the item to delete, e.g. itm_1.') },
      async run({ id }, ctx) {
        const answer = await callApi(baseUrl, 'DELETE', `/items/${encodeURIComponent(id)}`, ctx);
        if (!answer.ok) return answer.outcome;
        return ok({ deleted: id });
      },
    }),
  };
}
