/**
 * How the runtime answers a tools/call: successes carry structuredContent, failures are MCP tool
 * errors (`isError: true`) whose structuredContent is `{ error: { code, message, ... } }`, so a
 * client can branch on `code` rather than parse English.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { HandlerOutcome } from './handlers.ts';
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

/** The refusal of a firearm tool: names the firearm type, the scope and what to do. */
export function firearmRefusal(spec: ToolSpec, firearmType: string, reason: string): HandlerOutcome {
  return {
    ok: false,
    code: ERROR_CODES.firearmLicenceRequired,
    message:
      `${spec.name} is a firearm scope${spec.name === spec.scope.name ? '' : ` (${spec.scope.name})`} and needs a ${firearmType} licence: ${reason}. ` +
      `Ask a human operator for a ${firearmType} licence and present it in the request _meta under "connector-factory/licence".`,
    details: { firearm_type: firearmType, scope: spec.scope.name, tool: spec.name, reason },
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
