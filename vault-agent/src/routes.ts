/**
 * Pure routing: the five routes of the contract, and the two OAuth connect routes (oauth-routes.ts). The name is taken from the raw
 * (still percent-encoded) path, so `..%2Fx` or `A%2FB` can never decode into a path. The one query
 * string accepted is `GET /v1/health?challenge=C` (proof.ts); values never go in a URL.
 */
import { agentError, type AgentError } from './errors.ts';
import { CHALLENGE_PATTERN } from './proof.ts';
import { checkName } from './validate.ts';

export type Route =
  | { kind: 'health'; challenge?: string }
  | { kind: 'list' }
  | { kind: 'status'; name: string }
  | { kind: 'put'; name: string }
  | { kind: 'delete'; name: string }
  | { kind: 'oauth_client' }
  | { kind: 'oauth_exchange' };

export type RouteResult = { ok: true; route: Route } | { ok: false; error: AgentError; allow?: string };

const PREFIX = '/v1/secrets/';

/** Matches method and request target to a route, or to a not_found / method / name error. */
export function matchRoute(method: string | undefined, target: string | undefined): RouteResult {
  const url = target ?? '';
  const challenge = /^\/v1\/health\?challenge=([^&#]*)$/.exec(url)?.[1];
  if (challenge !== undefined) {
    if (!CHALLENGE_PATTERN.test(challenge)) {
      return { ok: false, error: agentError('invalid_request', 'The health challenge must be 16 to 128 characters from A-Z, a-z, 0-9, - and _.') };
    }
    return only(method, 'GET', { kind: 'health', challenge });
  }
  if (url.includes('?') || url.includes('#')) {
    return { ok: false, error: agentError('invalid_request', 'Query strings are not accepted; values go in the JSON body of a PUT.') };
  }
  if (url === '/v1/health') return only(method, 'GET', { kind: 'health' });
  if (url === '/v1/secrets') return only(method, 'GET', { kind: 'list' });
  if (url === '/v1/oauth/client') return only(method, 'POST', { kind: 'oauth_client' });
  if (url === '/v1/oauth/exchange') return only(method, 'POST', { kind: 'oauth_exchange' });
  if (url.startsWith(PREFIX)) {
    if (method !== 'GET' && method !== 'PUT' && method !== 'DELETE') return notAllowed('GET, PUT, DELETE');
    const name = checkName(url.slice(PREFIX.length));
    if (!name.ok) return name;
    if (method === 'GET') return { ok: true, route: { kind: 'status', name: name.value } };
    if (method === 'PUT') return { ok: true, route: { kind: 'put', name: name.value } };
    return { ok: true, route: { kind: 'delete', name: name.value } };
  }
  return {
    ok: false,
    error: agentError('not_found', 'No such route. The vault-agent serves GET /v1/health, GET /v1/secrets, GET|PUT|DELETE /v1/secrets/NAME and POST /v1/oauth/client|exchange.'),
  };
}

function only(method: string | undefined, allowed: string, route: Route): RouteResult {
  return method === allowed ? { ok: true, route } : notAllowed(allowed);
}

function notAllowed(allow: string): RouteResult {
  return { ok: false, error: agentError('method_not_allowed', `Method not allowed here; use ${allow}.`), allow };
}
