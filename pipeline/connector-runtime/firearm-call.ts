/**
 * One call of a firearm tool, as server.ts runs it: the gate decides (licence-gate.ts), the handler
 * runs only when it may, and the call's firearm_uses row gets the handler's outcome. The client's
 * name and version come from its initialize request; its URL-mode elicitation capability decides
 * whether the call may wait for the operator.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ElicitResultSchema, type ServerNotification, type ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Manifest } from '../schema/manifest.ts';
import type { HandlerOutcome } from './handlers.ts';
import { LICENCE_META_KEY } from './licence.ts';
import type { FirearmGate } from './licence-gate.ts';
import type { Elicitor } from './licence-wait.ts';
import { firearmRefusal } from './tool-results.ts';
import type { ToolSpec } from './tool-specs.ts';

export type CallExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface FirearmCallOptions {
  gate: FirearmGate;
  server: McpServer;
  manifest: Manifest;
  spec: ToolSpec;
  firearmType: string;
  args: unknown;
  extra: CallExtra;
  run: () => Promise<HandlerOutcome>;
}

export async function runFirearmCall(o: FirearmCallOptions): Promise<HandlerOutcome> {
  const client = o.server.server.getClientVersion();
  const decision = await o.gate.authorize({
    providerSlug: o.manifest.provider_slug,
    displayName: o.manifest.display_name,
    tool: o.spec.name,
    scope: o.spec.scope.name,
    firearmType: o.firearmType,
    args: o.args,
    client: client ? { name: client.name, version: client.version } : undefined,
    claimedLicence: o.extra._meta?.[LICENCE_META_KEY],
    signal: o.extra.signal,
    elicitor: o.server.server.getClientCapabilities()?.elicitation?.url ? elicitorFor(o.extra) : undefined,
  });
  if (!decision.run) return firearmRefusal(o.spec, o.firearmType, decision.refusal);
  const outcome = await o.run();
  await decision.finish(outcome.ok ? 'succeeded' : 'failed', outcome.ok ? undefined : outcome.code);
  return outcome;
}

/** Elicitation and notifications on the tool call's own request channel (related to the call). */
function elicitorFor(extra: CallExtra): Elicitor {
  const progressToken = extra._meta?.progressToken;
  return {
    async elicitUrl(params, timeoutMs) {
      const result = await extra.sendRequest(
        { method: 'elicitation/create', params: { mode: 'url', ...params } },
        ElicitResultSchema,
        { timeout: timeoutMs, signal: extra.signal },
      );
      return { action: result.action };
    },
    complete: (elicitationId) => extra.sendNotification({ method: 'notifications/elicitation/complete', params: { elicitationId } }),
    async progress(done, total, message) {
      if (progressToken === undefined) return;
      await extra.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: done, total, message } });
    },
  };
}
