/**
 * CSRF tokens: HMAC-signed with a random key made when the process starts, and bound to the
 * operator's session, so a token is valid only for this server run and this session: a token
 * read in one session (or taken from a page another session was served) is refused in any other,
 * and nobody can mint one without the key.
 *
 * Token: `<issued-at seconds>.<random nonce>.<HMAC-SHA256(key, session id.issued-at.nonce)>`,
 * base64url. The session id is signed, never written into the token.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A page left open longer than this must be reloaded before it can change anything. */
export const CSRF_MAX_AGE_SECONDS = 12 * 60 * 60;

export interface CsrfTokens {
  issue(sessionId: string): string;
  verify(token: string | null | undefined, sessionId: string): boolean;
}

export function createCsrfTokens(now: () => number = Date.now): CsrfTokens {
  const key = randomBytes(32);
  const sign = (sessionId: string, payload: string) => createHmac('sha256', key).update(`${sessionId}.${payload}`).digest('base64url');
  return {
    issue(sessionId) {
      const payload = `${Math.floor(now() / 1000)}.${randomBytes(16).toString('base64url')}`;
      return `${payload}.${sign(sessionId, payload)}`;
    },
    verify(token, sessionId) {
      if (typeof token !== 'string' || token.length > 200 || !sessionId) return false;
      const parts = token.split('.');
      if (parts.length !== 3) return false;
      const [issued, nonce, mac] = parts as [string, string, string];
      if (!/^\d{1,12}$/.test(issued) || !nonce) return false;
      const expected = Buffer.from(sign(sessionId, `${issued}.${nonce}`));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
      const age = Math.floor(now() / 1000) - Number(issued);
      return age >= -60 && age <= CSRF_MAX_AGE_SECONDS;
    },
  };
}
