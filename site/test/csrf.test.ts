import { describe, expect, it } from 'vitest';
import { CSRF_MAX_AGE_SECONDS, createCsrfTokens } from '../http/csrf.ts';
import { allowedHosts, hostAllowed, originAllowed } from '../http/security.ts';

describe('CSRF tokens', () => {
  const session = 'a'.repeat(43);
  const other = 'b'.repeat(43);

  it('accepts a token this process issued for the same session', () => {
    const csrf = createCsrfTokens();
    expect(csrf.verify(csrf.issue(session), session)).toBe(true);
  });

  it('refuses a token issued for another session of the same process', () => {
    const csrf = createCsrfTokens();
    expect(csrf.verify(csrf.issue(session), other)).toBe(false);
    expect(csrf.verify(csrf.issue(session), '')).toBe(false);
  });

  it('refuses a token from another process (another random key)', () => {
    expect(createCsrfTokens().verify(createCsrfTokens().issue(session), session)).toBe(false);
  });

  it('refuses missing, malformed and tampered tokens', () => {
    const csrf = createCsrfTokens();
    const [issued, nonce, mac] = csrf.issue(session).split('.') as [string, string, string];
    for (const bad of [undefined, null, '', 'x', `${issued}.${nonce}`, `${issued}.${nonce}.${mac}x`, `${Number(issued) + 1}.${nonce}.${mac}`, `${issued}.other.${mac}`]) {
      expect(csrf.verify(bad, session)).toBe(false);
    }
  });

  it('refuses a token older than the maximum age', () => {
    let now = 1_000_000_000_000;
    const csrf = createCsrfTokens(() => now);
    const token = csrf.issue(session);
    now += (CSRF_MAX_AGE_SECONDS + 1) * 1000;
    expect(csrf.verify(token, session)).toBe(false);
  });
});

describe('Host and Origin rules', () => {
  const hosts = allowedHosts('127.0.0.1', 4321);
  it('allows only the loopback names with our port', () => {
    for (const ok of ['127.0.0.1:4321', 'localhost:4321', '[::1]:4321', 'LOCALHOST:4321']) expect(hostAllowed({ host: ok }, hosts)).toBe(true);
    for (const bad of [undefined, 'evil.example:4321', '127.0.0.1', '127.0.0.1:80', 'localhost:4322', 'attacker.localhost:4321']) {
      expect(hostAllowed({ host: bad }, hosts)).toBe(false);
    }
  });

  it('allows a missing Origin and our own, refuses any other', () => {
    expect(originAllowed({ host: '127.0.0.1:4321' })).toBe(true);
    expect(originAllowed({ host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4321' })).toBe(true);
    expect(originAllowed({ host: '127.0.0.1:4321', origin: 'http://evil.example' })).toBe(false);
    expect(originAllowed({ host: '127.0.0.1:4321', origin: 'null' })).toBe(false);
    expect(originAllowed({ host: '127.0.0.1:4321', origin: 'http://localhost:4321' })).toBe(false);
  });

  it('accepts Origin "null" (no-referrer form posts) only when the browser marks the request same-origin', () => {
    expect(originAllowed({ host: '127.0.0.1:4321', origin: 'null', 'sec-fetch-site': 'same-origin' })).toBe(true);
    expect(originAllowed({ host: '127.0.0.1:4321', origin: 'null', 'sec-fetch-site': 'cross-site' })).toBe(false);
    expect(originAllowed({ host: '127.0.0.1:4321', origin: 'null' })).toBe(false);
  });

  it('refuses a request the browser marks cross-site or same-site, whatever its Origin', () => {
    for (const site of ['cross-site', 'same-site']) {
      expect(originAllowed({ host: '127.0.0.1:4321', 'sec-fetch-site': site })).toBe(false);
      expect(originAllowed({ host: '127.0.0.1:4321', origin: 'http://127.0.0.1:4321', 'sec-fetch-site': site })).toBe(false);
    }
  });
});
