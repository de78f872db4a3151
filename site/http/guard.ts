/**
 * The checks every request passes before Astro, as verdicts; the server turns a refusal into a
 * response in one place. In order:
 * 1. `checkAddress`: Host (DNS rebinding) and method, for every request, assets included;
 * 2. `checkOperator` (operator-access.ts): the login session, for everything but the assets;
 * 3. `checkStateChange`: for state-changing requests, body type, size, Origin and the CSRF token
 *    bound to the session.
 *
 * The body is read in step 3 (the CSRF token may be a form field) and handed on to Astro as
 * `req.body`, which @astrojs/node uses instead of the consumed stream.
 */
import type { IncomingMessage } from 'node:http';
import { readBody } from './body.ts';
import type { CsrfTokens } from './csrf.ts';
import { ALLOWED_METHODS, STATE_CHANGING, bodyKind, hostAllowed, originAllowed } from './security.ts';

export type Verdict =
  | { ok: true }
  | { ok: false; status: number; code: string; message: string; json: boolean };

/** JSON requests (by body type or Accept) get JSON refusals; everything else gets text or a page. */
export function wantsJson(req: IncomingMessage): boolean {
  return bodyKind(req.headers) === 'json' || (req.headers.accept ?? '').includes('application/json');
}

function refusal(req: IncomingMessage) {
  return (status: number, code: string, message: string): Verdict => ({ ok: false, status, code, message, json: wantsJson(req) });
}

export function checkAddress(req: IncomingMessage, hosts: Set<string>): Verdict {
  const refuse = refusal(req);
  if (!hostAllowed(req.headers, hosts)) {
    return refuse(421, 'misdirected_request', 'This site only answers to 127.0.0.1, localhost or [::1] on its own port. Open it by that address.');
  }
  const method = req.method ?? 'GET';
  if (!ALLOWED_METHODS.has(method)) {
    return refuse(405, 'method_not_allowed', `${method} is not supported here.`);
  }
  return { ok: true };
}

export async function checkStateChange(req: IncomingMessage, csrf: CsrfTokens, sessionId: string): Promise<Verdict> {
  if (!STATE_CHANGING.has(req.method ?? 'GET')) return { ok: true };
  const refuse = refusal(req);
  const kind = bodyKind(req.headers);
  if (!originAllowed(req.headers)) {
    return refuse(403, 'forbidden_origin', 'The request came from another origin and was refused. Use the form on this site.');
  }
  if (!kind) {
    return refuse(415, 'unsupported_media_type', 'Send application/x-www-form-urlencoded or application/json.');
  }
  const body = await readBody(req);
  if (!body.ok) {
    return body.reason === 'too_large'
      ? refuse(413, 'too_large', 'The request body is too large.')
      : refuse(400, 'bad_request', 'The request body could not be read.');
  }
  const headerToken = req.headers['x-csrf-token'];
  const token = typeof headerToken === 'string' ? headerToken : kind === 'form' ? new URLSearchParams(body.text).get('csrf') : null;
  if (!csrf.verify(token, sessionId)) {
    return refuse(403, 'csrf', 'The form has expired or did not come from this site (missing or invalid CSRF token). Reload the page and try again.');
  }
  // Hand the already-read body to Astro (see the file comment).
  (req as IncomingMessage & { body?: string }).body = body.text;
  return { ok: true };
}
