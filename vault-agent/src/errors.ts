/**
 * The agent's error codes and the one place that maps them to HTTP statuses. Every message is
 * written here or in validate.ts from fixed text plus, at most, a valid key name.
 */

/** Stable error codes of the vault-agent API (the DESIGN.md contract lists the first five). */
export type AgentErrorCode =
  | 'invalid_name'
  | 'invalid_value'
  | 'too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'invalid_json'
  | 'invalid_body'
  | 'invalid_request'
  | 'method_not_allowed'
  | 'write_failed'
  | 'internal'
  // OAuth connect (oauth-routes.ts): the key is not bound, not set or unreadable, or the token endpoint said no.
  | 'not_bound'
  | 'key_not_set'
  | 'key_unreadable'
  | 'invalid_grant'
  | 'invalid_client'
  | 'token_refused'
  | 'token_endpoint_unreachable'
  | 'token_endpoint_bad_response'
  | 'invalid_token_url'
  | 'no_refresh_token';

export interface AgentError {
  code: AgentErrorCode;
  message: string;
}

const STATUS: Record<AgentErrorCode, number> = {
  invalid_name: 400,
  invalid_value: 400,
  invalid_json: 400,
  invalid_body: 400,
  invalid_request: 400,
  not_found: 404,
  method_not_allowed: 405,
  too_large: 413,
  unsupported_media_type: 415,
  write_failed: 500,
  internal: 500,
  not_bound: 409,
  key_not_set: 409,
  key_unreadable: 500,
  invalid_token_url: 400,
  invalid_grant: 502,
  invalid_client: 502,
  token_refused: 502,
  token_endpoint_unreachable: 502,
  token_endpoint_bad_response: 502,
  no_refresh_token: 502,
};

export function agentError(code: AgentErrorCode, message: string): AgentError {
  return { code, message };
}

/** HTTP status for an error code. */
export function statusFor(code: AgentErrorCode): number {
  return STATUS[code];
}
