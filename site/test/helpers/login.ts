/**
 * Logging in to the site as the operator does: open the login URL (`http://127.0.0.1:PORT/?token=...`,
 * as `npm start` prints it) and keep the session cookie it sets.
 *
 * A session opened with `{ remember: true }` is kept per site (host:port) for this test file, so
 * the other helpers carry it without each test asking: `request()` (helpers/http.ts) sends the cookie to
 * that site unless told `{ session: false }`, and browser contexts made by `launchChromium()`
 * (helpers/chromium.ts) start with it. `startFixture()` logs in this way, so a test that uses the
 * fixture talks to the site as the logged-in operator.
 *
 *   const cookie = await loginOverHttp(site.loginUrl, { remember: true });  // "god_config_session_PORT=..."
 *   await loginInBrowser(page, site.loginUrl);            // the browser opens the URL itself
 */
import http from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';

/** host:port → the session cookie ("name=value") that site set when the test logged in. */
const sessions = new Map<string, string>();

/**
 * Opens the login URL without a cookie, as a fresh browser would; answers the session cookie.
 * `remember`: the helpers then carry this session to that site (the fixture's own login does).
 */
export async function loginOverHttp(loginUrl: string, options: { remember?: boolean } = {}): Promise<string> {
  const target = new URL(loginUrl);
  const reply = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get({ host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, headers: { host: target.host } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res));
    }).once('error', reject);
  });
  const setCookie = reply.headers['set-cookie']?.[0];
  if (reply.statusCode !== 303 || !setCookie) {
    throw new Error(`logging in at ${target.origin} answered HTTP ${reply.statusCode} without a session cookie; is this the URL the site printed?`);
  }
  const cookie = setCookie.split(';')[0]!;
  if (options.remember) sessions.set(target.host, cookie);
  return cookie;
}

/** The browser opens the login URL itself and lands on the page without the token. */
export async function loginInBrowser(page: Page, loginUrl: string): Promise<void> {
  await page.goto(loginUrl);
  if (page.url().includes('token=')) throw new Error(`the login URL did not redirect away from the token (now at ${new URL(page.url()).pathname})`);
}

/** The session cookie a test holds for the site at `url`, if it logged in there. */
export function sessionCookieFor(url: string): string | undefined {
  return sessions.get(new URL(url).host);
}

/** Forgets the session for the site at `url` (the fixture calls this when it closes). */
export function forgetSession(url: string): void {
  sessions.delete(new URL(url).host);
}

/** Gives a browser context every session this test file logged in with. */
export async function addKnownSessions(context: BrowserContext): Promise<void> {
  const cookies = [...sessions].map(([host, pair]) => {
    const eq = pair.indexOf('=');
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), url: `http://${host}`, httpOnly: true, sameSite: 'Strict' as const };
  });
  if (cookies.length) await context.addCookies(cookies);
}
