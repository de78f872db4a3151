/**
 * Who may use the site: the operator, proven by a session that the login URL opened. Decides,
 * for one request, between going on (a live session), logging in (a valid `?token=` on a GET:
 * open a session, set its cookie, redirect to the same page without the token) and refusing
 * (401: no session, an ended one, or a wrong token). Pure apart from the session store.
 */
import type { IncomingMessage } from 'node:http';
import type { LoginRefusal } from './login-page.ts';
import type { Sessions } from './session.ts';

export type Access =
  | { ok: true; sessionId: string }
  | { ok: false; kind: 'login'; location: string; cookie: string }
  | { ok: false; kind: 'refused'; reason: LoginRefusal };

export function checkOperator(req: IncomingMessage, sessions: Sessions): Access {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const pathname = q === -1 ? raw : raw.slice(0, q);
  const params = q === -1 ? [] : raw.slice(q + 1).split('&').filter(Boolean);
  const isToken = (param: string) => param === 'token' || param.startsWith('token=');
  const method = req.method ?? 'GET';

  if ((method === 'GET' || method === 'HEAD') && params.some(isToken)) {
    const token = new URLSearchParams(params.find(isToken)).get('token') ?? '';
    if (!sessions.tokenMatches(token)) return { ok: false, kind: 'refused', reason: 'login_token_invalid' };
    // The other parameters stay as they came; only a plain local path may be a redirect target.
    const rest = params.filter((p) => !isToken(p));
    const local = pathname.startsWith('/') && !pathname.startsWith('//') && !pathname.includes('\\') ? pathname : '/';
    return { ok: false, kind: 'login', location: `${local}${rest.length ? `?${rest.join('&')}` : ''}`, cookie: sessions.cookie(sessions.open()) };
  }
  const found = sessions.find(req.headers.cookie);
  if (found.ok) return { ok: true, sessionId: found.id };
  const reason: LoginRefusal = found.reason === 'ended' ? 'session_ended' : params.includes('logged_out=1') ? 'logged_out' : 'login_required';
  return { ok: false, kind: 'refused', reason };
}
