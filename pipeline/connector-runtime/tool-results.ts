/**
 * How the runtime answers a tools/call: successes carry structuredContent, failures are MCP tool
 * errors (`isError: true`) whose structuredContent is `{ error: { code, message, ... } }`, so a
 * client can branch on `code` rather than parse English.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { HandlerOutcome } from './handlers.ts';
import type { Refusal } from './licence-gate.ts';
import { META_PROVIDER, type ToolSpec } from './tool-specs.ts';

/** The stable codes the runtime itself produces; handlers add their own. */
export const ERROR_CODES = {
  firearmLicenceRequired: 'firearm_licence_required',
  notImplemented: 'not_implemented',
  handlerFailed: 'handler_failed',
} as const;

export function toCallToolResult(outcome: HandlerOutcome): CallToolResult {
  if (outcome.ok) {
    return {
      content: [{ type: 'text', text: outcome.text ?? JSON.stringify(outcome.data) }],
      structuredContent: outcome.data,
    };
  }
  return {
    isError: true,
    content: [{ type: 'text', text: `${outcome.code}: ${outcome.message}` }],
    structuredContent: { error: { ...outcome.details, code: outcome.code, message: outcome.message } },
  };
}

/**
 * The refusal of a firearm call: `firearm_licence_required` with the reason, and when a request was
 * recorded its `request_id` and `approve_url` (where the operator decides), so a client can show
 * the page and call again after the decision.
 */
export function firearmRefusal(spec: ToolSpec, firearmType: string, refusal: Refusal): HandlerOutcome {
  const meta = refusal.metaLicenceIgnored
    ? ' A licence presented in the call\'s _meta is not accepted: licences are granted by an operator in the God Config and checked in the registry.'
    : '';
  return {
    ok: false,
    code: ERROR_CODES.firearmLicenceRequired,
    message: `${refusal.message}${meta}`,
    details: {
      firearm_type: firearmType,
      scope: spec.scope.name,
      tool: spec.name,
      reason: refusal.reason,
      ...(refusal.requestId !== undefined ? { request_id: refusal.requestId, approve_url: refusal.approveUrl, request_reused: refusal.requestReused ?? false } : {}),
      ...(refusal.metaLicenceIgnored ? { meta_licence_ignored: true } : {}),
    },
  };
}

export function notImplemented(spec: ToolSpec): HandlerOutcome {
  return {
    ok: false,
    code: ERROR_CODES.notImplemented,
    message:
      `scope ${spec.scope.name} has no handler yet. The connector author adds handlers["${spec.scope.name}"] ` +
      `in connectors/${String(spec.meta[META_PROVIDER])}/server.ts.`,
    details: { scope: spec.scope.name, tool: spec.name },
  };
}
