/**
 * The request rules DESIGN.md lists, as pure functions of the request's headers, so the server
 * applies them before Astro sees anything and tests can hold each one.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/** Host header values this server answers to: loopback names with our port (DNS rebinding). */
export function allowedHosts(host: string, port: number): Set<string> {
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  // Told to bind elsewhere (e.g. a LAN address), that exact address is allowed too; wildcard
  // binds are not names a browser uses, so they add nothing.
  if (host !== '0.0.0.0' && host !== '::' && host !== '') hosts.add(host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
  return hosts;
}

export function hostAllowed(headers: IncomingHttpHeaders, allowed: Set<string>): boolean {
  const host = headers.host;
  return typeof host === 'string' && allowed.has(host.toLowerCase());
}

/**
 * An Origin, when present, must be this very site as the browser reached it. One exception:
 * under our `Referrer-Policy: no-referrer` browsers send `Origin: null` on a same-origin form
 * post, so "null" passes only when the browser itself says the request is same-origin
 * (Sec-Fetch-Site, which page scripts cannot set); a sandboxed frame elsewhere sends
 * `cross-site` and is refused. Any Sec-Fetch-Site other than same-origin or none is refused.
 */
export function originAllowed(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return site === 'same-origin';
  return origin === `http://${headers.host ?? ''}`.toLowerCase();
}

export const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
export const ALLOWED_METHODS = new Set(['GET', 'HEAD', 'POST']);

/**
 * No inline script or style at all (the site ships none), everything from this origin only,
 * never framed, forms post only here.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "form-action 'self'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every response carries, pages and assets alike. */
export const SECURITY_HEADERS: OutgoingHttpHeaders = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
};

/** Body types the API accepts: the browser's default form encoding and JSON. */
export function bodyKind(headers: IncomingHttpHeaders): 'form' | 'json' | null {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') return 'form';
  if (type === 'application/json') return 'json';
  return null;
}
