/**
 * CSRF tokens: HMAC-signed, bound to a random key made when the process starts, so a token is
 * only ever valid for this server run and nobody can mint one without reading one of our pages
 * (which the Host allowlist and the absence of CORS keep other origins from doing).
 *
 * Token: `<issued-at seconds>.<random nonce>.<HMAC-SHA256(key, issued-at.nonce)>`, base64url.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A page left open longer than this must be reloaded before it can change anything. */
export const CSRF_MAX_AGE_SECONDS = 12 * 60 * 60;

export interface CsrfTokens {
  issue(): string;
  verify(token: string | null | undefined): boolean;
}

export function createCsrfTokens(now: () => number = Date.now): CsrfTokens {
  const key = randomBytes(32);
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');
  return {
    issue() {
      const payload = `${Math.floor(now() / 1000)}.${randomBytes(16).toString('base64url')}`;
      return `${payload}.${sign(payload)}`;
    },
    verify(token) {
      if (typeof token !== 'string' || token.length > 200) return false;
      const parts = token.split('.');
      if (parts.length !== 3) return false;
      const [issued, nonce, mac] = parts as [string, string, string];
      if (!/^\d{1,12}$/.test(issued) || !nonce) return false;
      const expected = Buffer.from(sign(`${issued}.${nonce}`));
      const given = Buffer.from(mac);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return false;
      const age = Math.floor(now() / 1000) - Number(issued);
      return age >= -60 && age <= CSRF_MAX_AGE_SECONDS;
    },
  };
}
