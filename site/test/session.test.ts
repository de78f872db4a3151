/**
 * The operator login's rules as pure functions: the token, the session store and its cookie, and
 * the decision each request gets (go on, log in and redirect, or 401).
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkOperator } from '../http/operator-access.ts';
import { MAX_SESSIONS, SESSION_IDLE_MS, createSessions, readCookie } from '../http/session.ts';

const req = (url: string, headers: Record<string, string> = {}, method = 'GET') => ({ url, method, headers }) as unknown as IncomingMessage;

describe('login token', () => {
  it('is at least 128 random bits and new for every server run', () => {
    const a = createSessions(4321);
    const b = createSessions(4321);
    expect(Buffer.from(a.loginToken, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    expect(a.loginToken).not.toBe(b.loginToken);
  });

  it('matches only itself: not a prefix, a longer string, another run’s token or nothing', () => {
    const s = createSessions(4321);
    expect(s.tokenMatches(s.loginToken)).toBe(true);
    for (const bad of ['', s.loginToken.slice(0, -1), `${s.loginToken}x`, s.loginToken.toUpperCase(), createSessions(4321).loginToken]) {
      expect(s.tokenMatches(bad)).toBe(false);
    }
  });
});

describe('sessions', () => {
  it('sets an HttpOnly, SameSite=Strict, Path=/ cookie without Secure, named for the port', () => {
    const s = createSessions(4321);
    const cookie = s.cookie(s.open());
    expect(cookie).toMatch(/^god_config_session_4321=[A-Za-z0-9_-]{43}; /);
    expect(cookie.split('; ').slice(1).sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict']);
    expect(s.clearCookie()).toContain('Max-Age=0');
  });

  it('finds a session by its cookie, and tells a missing cookie from an ended session', () => {
    const s = createSessions(4321);
    const id = s.open();
    expect(s.find(`other=1; ${s.cookieName}=${id}`)).toEqual({ ok: true, id });
    expect(s.find(undefined)).toEqual({ ok: false, reason: 'no_cookie' });
    expect(s.find('god_config_session_4322=x')).toEqual({ ok: false, reason: 'no_cookie' });
    expect(s.find(`${s.cookieName}=${'a'.repeat(43)}`)).toEqual({ ok: false, reason: 'ended' });
    expect(s.find(`${s.cookieName}=garbage`)).toEqual({ ok: false, reason: 'ended' });
    s.end(id);
    expect(s.find(`${s.cookieName}=${id}`)).toEqual({ ok: false, reason: 'ended' });
  });

  it('ends a session idle for longer than 12 hours; use keeps it alive', () => {
    let now = 1_000_000;
    const s = createSessions(4321, () => now);
    const used = s.open();
    const idle = s.open();
    now += SESSION_IDLE_MS - 1000;
    expect(s.find(`${s.cookieName}=${used}`).ok).toBe(true);
    now += 2000;
    expect(s.find(`${s.cookieName}=${used}`).ok).toBe(true);
    expect(s.find(`${s.cookieName}=${idle}`)).toEqual({ ok: false, reason: 'ended' });
  });

  it('keeps at most MAX_SESSIONS, dropping the least recently used', () => {
    const s = createSessions(4321);
    const first = s.open();
    const second = s.open();
    s.find(`${s.cookieName}=${first}`); // used: now the most recent
    for (let i = 0; i < MAX_SESSIONS - 1; i++) s.open();
    expect(s.find(`${s.cookieName}=${first}`).ok).toBe(true);
    expect(s.find(`${s.cookieName}=${second}`).ok).toBe(false);
  });

  it('reads one cookie out of a Cookie header', () => {
    expect(readCookie('a=1; b=2;c=3', 'b')).toBe('2');
    expect(readCookie('ab=1', 'b')).toBeNull();
    expect(readCookie(undefined, 'b')).toBeNull();
  });
});

describe('what a request gets', () => {
  const s = createSessions(4321);

  it('a valid token on a GET: a new session and a redirect to the same page, other parameters kept as sent', () => {
    const access = checkOperator(req(`/?q=acme%20shop&token=${s.loginToken}&status=draft`), s);
    expect(access).toMatchObject({ ok: false, kind: 'login', location: '/?q=acme%20shop&status=draft' });
    const cookie = (access as { cookie: string }).cookie.split(';')[0]!;
    expect(checkOperator(req('/', { cookie }), s).ok).toBe(true);
    expect(checkOperator(req(`/connectors/acme_shop?token=${s.loginToken}`), s)).toMatchObject({ location: '/connectors/acme_shop' });
    expect(checkOperator(req(`/syncs?token=${s.loginToken}`, {}, 'HEAD'), s)).toMatchObject({ kind: 'login', location: '/syncs' });
  });

  it('never redirects off the site, whatever the path looks like', () => {
    for (const path of ['//evil.example/', '/\\evil.example/', 'http://evil.example/']) {
      expect(checkOperator(req(`${path}?token=${s.loginToken}`), s)).toMatchObject({ kind: 'login', location: '/' });
    }
  });

  it('a wrong token: refused, and no session is opened', () => {
    for (const url of ['/?token=', '/?token', `/?token=${s.loginToken}x`, `/connectors/x?token=${createSessions(4321).loginToken}`]) {
      expect(checkOperator(req(url), s)).toEqual({ ok: false, kind: 'refused', reason: 'login_token_invalid' });
    }
  });

  it('a token never logs in a POST; without a session every request is refused', () => {
    expect(checkOperator(req(`/api/connectors/x/approve?token=${s.loginToken}`, {}, 'POST'), s)).toMatchObject({ kind: 'refused', reason: 'login_required' });
    expect(checkOperator(req('/'), s)).toMatchObject({ kind: 'refused', reason: 'login_required' });
    expect(checkOperator(req('/?logged_out=1'), s)).toMatchObject({ kind: 'refused', reason: 'logged_out' });
    expect(checkOperator(req('/', { cookie: `${s.cookieName}=${'z'.repeat(43)}` }), s)).toMatchObject({ kind: 'refused', reason: 'session_ended' });
  });
});
