/**
 * This connector as an MCP server over stdio. Run it from the repository root:
 *
 *   npx tsx connectors/<slug>/server.ts
 *
 * It reads manifest.yaml next to this file: one MCP tool per scope, firearm scopes marked
 * destructive and run only under a licence an operator granted in the God Config, and every key
 * under `secrets` loaded from the vault at start (a required key that is not set stops the start
 * with a message naming it and the site page where to set it). See README.md in this folder.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { fail, isEntryPoint, ok, runConnectorStdio, scopeHandler, type ScopeHandlers } from '#connector-runtime';

export const manifestPath = fileURLToPath(new URL('./manifest.yaml', import.meta.url));

// TODO: the provider's API base URL (read it from the environment when it differs per install).
const API_BASE = 'https://api.example.com/v1';

/**
 * TODO: a read scope. Copy this into `handlers` under the scope's exact name from manifest.yaml,
 * e.g. `read_orders: readScopeExample`. It must not change anything at the provider.
 */
export const readScopeExample = scopeHandler({
  async run(_args, ctx) {
    // TODO: your key's name from manifest.yaml `secrets`.
    const key = ctx.secrets.require('PROVIDER_EXAMPLE_API_KEY');
    const res = await fetch(`${API_BASE}/orders`, { headers: { authorization: `Bearer ${key}` }, signal: ctx.signal });
    if (!res.ok) return fail('provider_error', `the provider answered ${res.status} to GET /orders`);
    return ok({ orders: await res.json() });
  },
});

/**
 * TODO: a firearm scope (`requires_firearm: true`). The runtime refuses the call before this
 * handler runs unless an operator licensed the scope's firearm_type (or approved this exact call),
 * so the handler only does the work. Arguments are a zod shape; clients see them as the tool's input schema.
 */
export const firearmScopeExample = scopeHandler({
  input: { id: z.string().min(1).describe('The id of the order to delete.') },
  async run({ id }, ctx) {
    const key = ctx.secrets.require('PROVIDER_EXAMPLE_API_KEY');
    const res = await fetch(`${API_BASE}/orders/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${key}` },
      signal: ctx.signal,
    });
    if (res.status === 404) return fail('not_found', `no order ${id}`);
    if (!res.ok) return fail('provider_error', `the provider answered ${res.status} to DELETE /orders/${id}`);
    return ok({ deleted: id });
  },
});

/**
 * One handler per scope, keyed by the scope's exact name in manifest.yaml (`chat:write` too).
 * A scope without a handler is still listed and answers `not_implemented`; a handler whose name
 * is not a scope stops the start, so a typo cannot hide.
 */
export const handlers: ScopeHandlers = {
  // TODO: e.g. read_orders: readScopeExample, delete_orders: firearmScopeExample,
};

if (isEntryPoint(import.meta.url)) await runConnectorStdio({ manifestPath, handlers });
