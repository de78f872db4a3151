/**
 * The operator login (DESIGN.md "Operator access"), on a real site, vault-agent and registry:
 * only the login URL opens a session; without one every page and API route answers 401 saying
 * where the URL is; the CSRF token is bound to the session; the token is kept nowhere. Then the
 * browser (real Chromium) and the attack that made this necessary: a process of another OS user.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { launchChromium } from './helpers/chromium.ts';
import { csrfFrom, dumpAllTables, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { everythingSeen, form, request } from './helpers/http.ts';
import { loginInBrowser, loginOverHttp } from './helpers/login.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/site');
const KEY = 'PROVIDER_ACME_SHOP_API_KEY';
const CANARY = `attacker-value-${Math.random().toString(36).slice(2)}`;
// The login needs no particular registry; the other site tests cover both backends.
const backend = testBackends()[0]!;

/** Every page and API route the site has, as a stranger would send them. */
const ROUTES: { method: 'GET' | 'POST'; path: string; json?: boolean }[] = [
  { method: 'GET', path: '/' },
  { method: 'GET', path: '/?q=acme' },
  { method: 'GET', path: '/syncs' },
  { method: 'GET', path: '/connectors/acme_shop' },
  { method: 'GET', path: '/no/such/page' },
  { method: 'POST', path: '/api/connectors/acme_shop/approve' },
  { method: 'POST', path: '/api/connectors/acme_shop/kpis/approve', json: true },
  { method: 'POST', path: `/api/connectors/acme_shop/secrets/${KEY}` },
  { method: 'POST', path: `/api/connectors/acme_shop/secrets/${KEY}`, json: true },
  { method: 'POST', path: '/logout' },
];

describe(`operator login (${backend})`, () => {
  let f: SiteFixture;
  let token: string;
  const stranger = (p: string, opts: Parameters<typeof request>[1] = {}) => request(`${f.url}${p}`, { ...opts, session: false });
  const as = (cookie: string, p: string, opts: Parameters<typeof request>[1] = {}) =>
    request(`${f.url}${p}`, { ...opts, session: false, headers: { cookie, ...opts.headers } });

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    f = await startFixture(backend);
    token = new URL(f.loginUrl).searchParams.get('token')!;
    await seedCatalog(f.db);
    await seedConnectors(f.db, [testManifest('acme_shop')]);
  });
  afterAll(() => f?.close());

  it('answers 401 to every page and API route without a session: a page, or JSON for JSON requests, saying where the login URL is', async () => {
    for (const route of ROUTES) {
      const body = route.method === 'GET' ? {} : route.json ? { headers: { 'content-type': 'application/json' }, body: '{}' } : form({ digest: 'a'.repeat(64) });
      const reply = await stranger(route.path, { method: route.method, ...body });
      expect(reply.status, `${route.method} ${route.path}`).toBe(401);
      expect(reply.headers['set-cookie']).toBeUndefined();
      if (route.json) {
        expect(JSON.parse(reply.body)).toMatchObject({ ok: false, code: 'login_required', message: expect.stringContaining('npm start') });
      } else {
        expect(reply.headers['content-type']).toContain('text/html');
        expect(reply.body).toContain('data-testid="login-required"');
        expect(reply.body).toContain('the URL <code>npm start</code> printed in its terminal');
        expect(reply.body).toContain('Restart npm start for a new one');
        expect(reply.body).not.toContain('acme_shop');
      }
    }
  });

  it('keeps the built stylesheet and favicon public, so the 401 page is styled', async () => {
    const page = (await stranger('/')).body;
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(page)?.[1];
    expect(css).toMatch(/^\/_astro\/.+\.css$/);
    expect((await stranger(css!)).status).toBe(200);
    expect((await stranger('/favicon.svg')).status).toBe(200);
  });

  it('refuses a wrong token with 401 and opens no session', async () => {
    const other = await startFixture(backend);
    try {
      const otherToken = new URL(other.loginUrl).searchParams.get('token')!;
      for (const bad of ['', 'x', token.slice(0, -1), `${token}A`, otherToken]) {
        const reply = await stranger(`/?token=${encodeURIComponent(bad)}`);
        expect(reply.status).toBe(401);
        expect(reply.headers['set-cookie']).toBeUndefined();
        expect(reply.body).toContain('data-reason="login_token_invalid"');
      }
    } finally {
      await other.close();
    }
  });

  it('the login URL sets an HttpOnly, SameSite=Strict, Path=/ cookie (not Secure) and redirects to the same page without the token', async () => {
    const reply = await stranger(`/connectors/acme_shop?token=${token}&tab=auth`);
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe('/connectors/acme_shop?tab=auth');
    const [cookie, ...attributes] = reply.headers['set-cookie']![0]!.split('; ');
    expect(cookie).toMatch(new RegExp(`^god_config_session_${new URL(f.url).port}=[A-Za-z0-9_-]{43}$`));
    expect(attributes.sort()).toEqual(['HttpOnly', 'Path=/', 'SameSite=Strict']);
    expect((await as(cookie!, '/connectors/acme_shop')).status).toBe(200);
  });

  it('refuses a CSRF token from session A in session B (403), and nothing is written', async () => {
    const a = await loginOverHttp(f.loginUrl);
    const b = await loginOverHttp(f.loginUrl);
    const csrfA = csrfFrom((await as(a, '/connectors/acme_shop')).body);
    const { rows } = await f.db.query(`SELECT manifest_digest FROM connector_providers WHERE provider_slug = 'acme_shop'`);
    const digest = rows[0].manifest_digest as string;
    const inB = await as(b, '/api/connectors/acme_shop/approve', { method: 'POST', ...form({ digest, csrf: csrfA }) });
    expect(inB.status).toBe(403);
    const jsonInB = await as(b, `/api/connectors/acme_shop/secrets/${KEY}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfA },
      body: JSON.stringify({ value: CANARY }),
    });
    expect(JSON.parse(jsonInB.body)).toMatchObject({ ok: false, code: 'csrf' });
    const { rows: status } = await f.db.query(`SELECT status FROM connector_providers WHERE provider_slug = 'acme_shop'`);
    expect(status[0].status).toBe('draft');
    await expect(readFile(path.join(f.vaultDir, `${KEY}.txt`))).rejects.toThrow();
    // The same token works in its own session.
    const inA = await as(a, '/api/connectors/acme_shop/secrets/PROVIDER_ACME_SHOP_WEBHOOK_SECRET', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfA },
      body: JSON.stringify({ value: 'webhook-value' }),
    });
    expect(JSON.parse(inA.body)).toEqual({ ok: true });
  });

  it('never serves a page cached for one session to another (its CSRF token is bound to the session)', async () => {
    const a = await loginOverHttp(f.loginUrl);
    const b = await loginOverHttp(f.loginUrl);
    await as(a, '/syncs');
    const again = await as(a, '/syncs');
    expect(again.headers['x-page-cache']).toBe('hit');
    const inB = await as(b, '/syncs');
    expect(inB.headers['x-page-cache']).toBe('miss');
    expect(csrfFrom(inB.body)).not.toBe(csrfFrom(again.body));
  });

  it('logs out with POST /logout and its CSRF token; the session is then over', async () => {
    const cookie = await loginOverHttp(f.loginUrl);
    const csrf = csrfFrom((await as(cookie, '/')).body);
    expect((await as(cookie, '/logout', { method: 'POST', ...form({}) })).status).toBe(403);
    const out = await as(cookie, '/logout', { method: 'POST', ...form({ csrf }) });
    expect(out.status).toBe(303);
    expect(out.headers.location).toBe('/?logged_out=1');
    expect(out.headers['set-cookie']![0]).toMatch(/=; .*Max-Age=0/);
    const after = await as(cookie, '/');
    expect(after.status).toBe(401);
    expect(after.body).toContain('data-reason="session_ended"');
    expect((await stranger('/?logged_out=1')).body).toContain('You are logged out');
  });

  it('the fixture’s own session still works (what other tests rely on)', async () => {
    expect((await request(`${f.url}/`)).status).toBe(200);
  });

  it('never puts the token in a response, the log or a database table', async () => {
    expect(everythingSeen()).not.toContain(token);
    expect(f.logs.join('\n')).not.toContain(token);
    expect(f.logs.join('\n')).toContain('GET / 303'); // the log is real: it has the login request, path only
    expect(await dumpAllTables(f.db)).not.toContain(token);
  });
});

describe(`operator login in Chromium (${backend})`, () => {
  let f: SiteFixture;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    f = await startFixture(backend);
    await seedCatalog(f.db);
    await seedConnectors(f.db, [testManifest('acme_shop')]);
    browser = await launchChromium({ loggedIn: false }); // contexts start as a stranger's browser
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  it('the printed URL logs in; the address bar loses the token; reload and navigation keep the session', async () => {
    const page = await browser.newPage();
    await loginInBrowser(page, f.loginUrl);
    expect(page.url()).toBe(`${f.url}/`);
    await expect(page.locator('tr[data-slug="acme_shop"]').count()).resolves.toBe(1);
    await expect(page.getByTestId('operator').innerText()).resolves.toBe('tester');
    await page.reload();
    await expect(page.locator('tr[data-slug="acme_shop"]').count()).resolves.toBe(1);
    await page.getByRole('link', { name: 'Acme Shop' }).click();
    await page.waitForURL(/\/connectors\/acme_shop$/);
    const cookies = await page.context().cookies();
    expect(cookies).toEqual([expect.objectContaining({ httpOnly: true, sameSite: 'Strict', secure: false, path: '/' })]);
    await expect(page.evaluate(() => document.cookie)).resolves.toBe(''); // HttpOnly: no script reads it
    await page.close();
  });

  it('a second, fresh browser context gets the 401 page saying where the login URL is', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 500 } });
    const reply = await page.goto(`${f.url}/connectors/acme_shop`);
    expect(reply?.status()).toBe(401);
    await expect(page.getByRole('heading').innerText()).resolves.toBe('Log in to God Config');
    await expect(page.getByTestId('login-required').innerText()).resolves.toContain('npm start printed in its terminal');
    // Styled like the site: the header bar has the site's colour.
    await expect(page.locator('header.top').evaluate((e) => getComputedStyle(e).backgroundColor)).resolves.not.toBe('rgba(0, 0, 0, 0)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'login-required.png') });
    await page.close();
  });

  it('a link from another site reaches the page for a logged-in operator (the Strict cookie comes back on a same-origin reload)', async () => {
    const target = `${f.url}/connectors/acme_shop`;
    const elsewhere = http.createServer((_, res) => res.end(`<!doctype html><a id="go" href="${target}">open</a>`));
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    // localhost and 127.0.0.1 are different sites to the browser.
    const elsewhereUrl = `http://localhost:${(elsewhere.address() as { port: number }).port}/`;
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await loginInBrowser(page, f.loginUrl);
      await page.goto(elsewhereUrl);
      await page.click('#go');
      await page.waitForURL(target);
      await expect(page.locator('h1').first().innerText()).resolves.toContain('Acme Shop');
      await context.close();
      // A stranger following the same link gets the 401 page after the one same-origin reload: no loop.
      const strangerPage = await browser.newPage();
      await strangerPage.goto(elsewhereUrl);
      let navigations = 0;
      const reloaded = strangerPage.waitForEvent('framenavigated', { predicate: (frame) => frame.url() === target && ++navigations === 2 });
      await strangerPage.click('#go');
      await reloaded; // the link's navigation, then the page's one reload from this origin
      await strangerPage.waitForLoadState('load');
      await expect(strangerPage.getByTestId('login-required').count()).resolves.toBe(1);
      await expect(strangerPage.locator('meta[http-equiv="refresh"]').count()).resolves.toBe(0);
      await strangerPage.close();
    } finally {
      await new Promise((resolve) => elsewhere.close(resolve));
    }
  });

  it('logs out from the header: the page then says so, and reloading does not bring the session back', async () => {
    const page = await browser.newPage();
    await loginInBrowser(page, f.loginUrl);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/logged_out=1/);
    await expect(page.getByRole('heading').innerText()).resolves.toBe('You are logged out');
    await page.goto(f.url);
    await expect(page.getByTestId('login-required').count()).resolves.toBe(1);
    await page.close();
  });
});

describe(`another OS user against the site (${backend})`, () => {
  let f: SiteFixture;
  let dir: string;

  beforeAll(async () => {
    f = await startFixture(backend);
    await seedCatalog(f.db);
    await seedConnectors(f.db, [testManifest('acme_shop')]);
    // The attacker's script must be readable by `nobody`: a 0755 directory of its own.
    dir = await mkdtemp(path.join(os.tmpdir(), 'site-attacker-'));
    await chmod(dir, 0o755);
    await writeFile(path.join(dir, 'attack.mjs'), ATTACK_SCRIPT, { mode: 0o644 });
  });
  afterAll(async () => {
    await f?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('cannot read a page, take a CSRF token, approve a connector or set a key: every request 401, nothing changes', async () => {
    const { rows } = await f.db.query(`SELECT manifest_digest FROM connector_providers WHERE provider_slug = 'acme_shop'`);
    const digest = rows[0].manifest_digest as string; // the attacker gets the real digest: only the login stops it
    const events = async () => Number((await f.db.query(`SELECT count(*) AS n FROM registry_events`)).rows[0].n);
    const eventsBefore = await events();
    const run = await promisify(execFile)(
      'setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, path.join(dir, 'attack.mjs'), f.url, KEY, CANARY, digest, String(process.pid), f.tmp],
      { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    const { statuses, csrfFound, reads, seen } = JSON.parse(run.stdout) as {
      statuses: Record<string, number | string>;
      csrfFound: boolean;
      reads: Record<string, string>;
      seen: string[];
    };
    expect(statuses.whoami).toBe('nobody'); // it really ran as another user
    delete statuses.whoami;
    expect(Object.keys(statuses).length).toBeGreaterThanOrEqual(8);
    for (const [name, status] of Object.entries(statuses)) expect(status, name).toBe(401);
    expect(csrfFound).toBe(false);
    // What else it tried: the test process's environment and the site's temp dir are closed to it.
    expect(reads.environ).toBe('EACCES');
    expect(reads.tmp).toBe('EACCES');

    const { rows: after } = await f.db.query(`SELECT status, approved_by FROM connector_providers WHERE provider_slug = 'acme_shop'`);
    expect(after[0]).toEqual({ status: 'draft', approved_by: null });
    expect(await events()).toBe(eventsBefore);
    expect(eventsBefore).toBe(0);
    await expect(readFile(path.join(f.vaultDir, `${KEY}.txt`))).rejects.toThrow();
    const token = new URL(f.loginUrl).searchParams.get('token')!;
    expect(seen.join('\n')).not.toContain(token);
  });
});

/** Run as `nobody`: everything an ordinary local process can try over HTTP, reported as JSON. */
const ATTACK_SCRIPT = `
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
const [base, key, value, digest, pid, tmp] = process.argv.slice(2);
const statuses = { whoami: os.userInfo().username };
const seen = [];
const reads = {};
async function go(name, path, init = {}) {
  const r = await fetch(base + path, { redirect: 'manual', ...init });
  const body = await r.text();
  statuses[name] = r.status;
  seen.push(body, JSON.stringify([...r.headers]));
  return body;
}
const formPost = (fields) => ({ method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
const jsonPost = (csrf, body) => ({ method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });

await go('list', '/');
const detail = await go('detail', '/connectors/acme_shop');
const csrf = /name="csrf-token" content="([^"]+)"/.exec(detail)?.[1];
const token = csrf ?? 'no-token-found';
await go('approve', '/api/connectors/acme_shop/approve', formPost({ digest, csrf: token, confirm: 'yes' }));
await go('approveJson', '/api/connectors/acme_shop/approve', jsonPost(token, { digest, confirm: true }));
await go('approveKpi', '/api/connectors/acme_shop/kpis/approve', jsonPost(token, { raw_metric: 'total_sales', core_kpi: 'gross_sales' }));
await go('setKey', '/api/connectors/acme_shop/secrets/' + key, formPost({ value, csrf: token, confirm: 'yes' }));
await go('setKeyJson', '/api/connectors/acme_shop/secrets/' + key, jsonPost(token, { value }));
await go('guessToken', '/?token=' + 'A'.repeat(43));
await go('logout', '/logout', formPost({ csrf: token }));
for (const [name, file] of [['cmdline', '/proc/' + pid + '/cmdline'], ['environ', '/proc/' + pid + '/environ']]) {
  try { seen.push(readFileSync(file, 'latin1')); reads[name] = 'read'; } catch (err) { reads[name] = err.code; }
}
try { readdirSync(tmp); reads.tmp = 'listed'; } catch (err) { reads.tmp = err.code; }
process.stdout.write(JSON.stringify({ statuses, csrfFound: Boolean(csrf), reads, seen }));
`;
