/**
 * The operator's pages for everyone, in real headless Chromium: axe-core (node_modules/axe-core,
 * evaluated in each page) finds no violation on any page in light and dark colour schemes; the
 * broken-manifest banner comes grouped by file; a 404 has the same header as every page; after a
 * form post the focus is on the message saying what happened; every focusable element shows a
 * focus ring; long names wrap at their separators and a long docs host stays in its column.
 *
 * With SCREENSHOTS=1 it also writes the README's screenshots (site/screenshots/) from the
 * project's own connectors.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveKpiMapping, approveProvider } from '../../pipeline/registry/approvals.ts';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { runSync } from '../../pipeline/sentinel/index.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import type { PipelineProblem, PipelineStateView } from '../src/lib/ports.ts';
import { launchChromium } from './helpers/chromium.ts';
import { startFixture, type SiteFixture } from './helpers/fixture.ts';
import { makeRepo, sync, writeManifest } from './helpers/repo.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SCREENSHOTS = process.env.SCREENSHOTS === '1' ? path.join(ROOT, 'site/screenshots') : null;
// /activity is another change's page: checked once its route exists.
const HAS_ACTIVITY = ['activity.astro', 'activity/index.astro'].some((p) => existsSync(path.join(ROOT, 'site/src/pages', p)));
const backend = testBackends()[0]!;

const LONG_SCOPE = 'read_merchant_managed_fulfillment_orders_and_returns';
const URL_SCOPE = 'https://www.googleapis.com/auth/youtube.force-ssl';
const LONG_DOCS = 'https://developers.acme-shop-enterprise-commerce-platform-documentation.example.com/docs/api';
const KEY = 'PROVIDER_ACME_SHOP_API_KEY';

const problem = (file: string, line: number, path: string, message: string): PipelineProblem => ({ file, line, column: 1, path, message });
/** A half-filled scaffold (16 problems), two registered connectors' files and a catalogue: four files. */
const BROKEN: PipelineProblem[] = [
  ...Array.from({ length: 16 }, (_, i) =>
    problem('connectors/new_thing/manifest.yaml', i + 2, `scopes[${i}].description`, 'still says TODO. Describe what the scope allows.'),
  ),
  problem('connectors/acme_shop/manifest.yaml', 9, 'docs_url', 'must be an https:// URL. Use the https address of the docs.'),
  problem('connectors/acme_shop/manifest.yaml', 4, 'auth_mode', 'must be one of oauth, byok, oauth_and_byok, none.'),
  problem('connectors/beta_crm/server.ts', 1, '', 'is a symbolic link. Put the file itself in the folder.'),
  problem('pipeline/catalog/core-kpis.yaml', 3, 'core_kpis[0].id', 'is used twice. Give each KPI its own id.'),
];

/** The page's background as the stylesheet set it: proof the site's CSS applied (else axe would check bare HTML). */
function pageBackground(page: Page): Promise<string> {
  return page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
}
const LIGHT_BG = 'rgb(245, 246, 248)';
const DARK_BG = 'rgb(15, 20, 26)';

/**
 * Opens a page of the site and checks its stylesheet applied (a site rebuilt under a running test
 * serves new asset names; a check on unstyled HTML would prove nothing).
 */
async function open(page: Page, url: string) {
  const reply = await page.goto(url);
  const scheme = await page.evaluate(() => (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  expect(await pageBackground(page), `the site stylesheet did not apply on ${url}`).toBe(scheme === 'dark' ? DARK_BG : LIGHT_BG);
  return reply;
}

/** Every violation axe-core finds on the page as it is (closed disclosures opened first), one line each. */
async function axeViolations(page: Page, scheme: 'light' | 'dark'): Promise<string[]> {
  expect(await pageBackground(page), 'the site stylesheet did not apply').toBe(scheme === 'dark' ? DARK_BG : LIGHT_BG);
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
  // Evaluated through the DevTools protocol: the site's CSP (script-src 'self') stays on, as the operator has it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResult> } }).axe;
    return axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${v.help} (${n.target.join(' ')})`));
}
interface AxeResult {
  violations: { id: string; help: string; nodes: { target: string[] }[] }[];
}

/** Tabs through the page; for each element that took the focus, whether a ring shows. */
async function tabThrough(page: Page, max = 120): Promise<{ what: string; ring: boolean }[]> {
  const seen: { what: string; ring: boolean }[] = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const style = getComputedStyle(el);
      const what = `${el.tagName.toLowerCase()}${el.getAttribute('aria-current') ? `[aria-current=${el.getAttribute('aria-current')}]` : ''} "${(el.innerText || el.getAttribute('aria-label') || el.getAttribute('name') || '').trim().slice(0, 40)}"`;
      return { what, ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 && el.matches(':focus-visible') };
    });
    if (!info) break;
    if (seen.length > 0 && seen[0]!.what === info.what && i > 1) break; // wrapped round
    seen.push({ what: info.what, ring: info.ring });
  }
  return seen;
}

/** The characters after which the element's text actually wraps in this layout. */
function wrapsAfter(page: Page, selector: string): Promise<string[]> {
  return page.locator(selector).evaluate((el) => {
    const tops: { ch: string; top: number }[] = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode() as Text | null; node; node = walker.nextNode() as Text | null) {
      for (let i = 0; i < node.data.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = range.getClientRects()[0];
        if (rect) tops.push({ ch: node.data[i]!, top: rect.top });
      }
    }
    const after: string[] = [];
    for (let i = 1; i < tops.length; i++) if (tops[i]!.top > tops[i - 1]!.top + 2) after.push(tops[i - 1]!.ch);
    return after;
  });
}

describe(`accessibility and the operator's page furniture, in Chromium (${backend})`, () => {
  let f: SiteFixture;
  let browser: Browser;
  let page: Page;
  let pipeline: PipelineStateView = { validation: null, syncedAt: null, error: null };
  const code = (repo: string, rel: string, text: string) => writeFile(path.join(repo, 'connectors', rel), text);

  beforeAll(async () => {
    f = await startFixture(backend, { pipelineState: () => pipeline });
    const repo = await makeRepo(path.join(f.tmp, 'repo'));
    const acme = testManifest('acme_shop', { display_name: 'Acme Shop', docs_url: LONG_DOCS });
    acme.scopes.push(
      { name: LONG_SCOPE, description: 'Read fulfillment orders and returns managed by the merchant', requires_firearm: false },
      { name: URL_SCOPE, description: 'Manage the YouTube account', requires_firearm: true, firearm_type: 'SOCIAL_PUBLISH' },
    );
    await writeManifest(repo, acme);
    await writeManifest(repo, testManifest('beta_crm', { display_name: 'Beta CRM', auth_mode: 'oauth_and_byok' }));
    await writeManifest(repo, testManifest('gamma_code', { display_name: 'Gamma Code' }));
    await code(repo, 'gamma_code/server.ts', 'export function start() {\n  return { tools: [] };\n}\n');
    await sync(f.db, repo);
    const digestOf = async (slug: string) =>
      (await f.db.query<{ d: string }>('SELECT manifest_digest AS d FROM connector_providers WHERE provider_slug = $1', [slug])).rows[0]!.d;
    for (const slug of ['beta_crm', 'gamma_code']) {
      expect(await approveProvider(f.db, { slug, digest: await digestOf(slug), actor: 'tester' })).toMatchObject({ ok: true });
    }
    await code(repo, 'gamma_code/server.ts', 'export function start() {\n  return { tools: ["lookup"] };\n}\n');
    await sync(f.db, repo);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  }, 300_000); // a site build after a source change, on a loaded two-core machine
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  it('groups broken-manifest problems by file with a count each, the rest behind disclosures, location apart from field', async () => {
    pipeline = { validation: { ok: false, errors: BROKEN }, syncedAt: new Date(), error: null };
    await open(page, `${f.url}/syncs`);
    const banner = page.getByTestId('pipeline-banner');
    await expect(banner.locator('#pipeline-problems-title').innerText()).resolves.toBe('20 problems in 4 files');
    // Files in path order, each with its count; the first three open, the catalogue behind "more files".
    const files = banner.locator('li.problem-file');
    await expect(files.evaluateAll((els) => els.map((e) => [e.getAttribute('data-file'), e.getAttribute('data-count')]))).resolves.toEqual([
      ['connectors/acme_shop/manifest.yaml', '2'],
      ['connectors/beta_crm/server.ts', '1'],
      ['connectors/new_thing/manifest.yaml', '16'],
      ['pipeline/catalog/core-kpis.yaml', '1'],
    ]);
    await expect(banner.locator('li[data-location]:visible').count()).resolves.toBe(2 + 1 + 3);
    const scaffold = files.nth(2);
    await expect(scaffold.locator('.problem-file-head').innerText()).resolves.toBe('connectors/new_thing/manifest.yaml: 16 problems');
    const first = scaffold.locator('li[data-location]').first();
    await expect(first.innerText()).resolves.toBe('line 2, column 1 · scopes[0].description: still says TODO. Describe what the scope allows.');
    await expect(first.getAttribute('data-location')).resolves.toBe('connectors/new_thing/manifest.yaml:2:1');
    // Registered connectors link to their page; the new scaffold has none yet (it would be a 404).
    await expect(files.nth(0).getByRole('link').getAttribute('href')).resolves.toBe('/connectors/acme_shop');
    await expect(files.nth(1).getByRole('link').getAttribute('href')).resolves.toBe('/connectors/beta_crm');
    await expect(scaffold.getByRole('link').count()).resolves.toBe(0);
    await expect(files.nth(0).locator('li[data-location]').first().innerText()).resolves.toMatch(/^line 4, column 1 · auth_mode: /);
    // The rest opens on demand.
    await scaffold.getByText('Show 13 more problems in this file').click();
    await expect(scaffold.locator('li[data-location]:visible').count()).resolves.toBe(16);
    await expect(banner.getByTestId('more-problem-files').locator('summary').innerText()).resolves.toBe('Show 1 more file (1 problem)');
    await expect(files.nth(3).isVisible()).resolves.toBe(false);
    // One scaffold no longer floods the page: the banner stays within the first screen.
    const box = await banner.boundingBox();
    expect(box!.height).toBeLessThan(900);
    await open(page, `${f.url}/syncs`);
    expect((await banner.boundingBox())!.height).toBeLessThan(450);
  });

  it('a 404 right after a sync has the full header: the last sync, the operator, a working Log out, the banner', async () => {
    pipeline = { validation: { ok: false, errors: BROKEN.slice(16, 17) }, syncedAt: new Date(), error: null };
    const reply = await open(page, `${f.url}/no/such/page`);
    expect(reply!.status()).toBe(404);
    await expect(page.getByTestId('not-found').innerText()).resolves.toContain('Page not found');
    await expect(page.getByTestId('last-synced').innerText()).resolves.toMatch(/Last synced:\s*just now/);
    await expect(page.getByTestId('operator').innerText()).resolves.toBe('tester');
    await expect(page.locator('form.operator input[name="csrf"]').getAttribute('value')).resolves.toMatch(/.{20,}/);
    await expect(page.getByTestId('pipeline-banner').innerText()).resolves.toContain('1 problem in 1 file');
    const post = await page.request.post(`${f.url}/no/such/page`, { form: { csrf: 'x' }, maxRedirects: 0 });
    expect(post.status()).toBe(403); // the CSRF check comes first, whatever the path
    pipeline = { validation: null, syncedAt: null, error: null };
  });

  it('after a form post, the focus is on the message saying what happened, not on <body>', async () => {
    await open(page, `${f.url}/connectors/acme_shop`);
    await page.getByLabel('Value for API key').fill('a11y-focus-value');
    await page.locator(`li[data-key="${KEY}"]`).getByRole('button', { name: 'Set key' }).click();
    await page.waitForURL(new RegExp(`\\?set=${KEY}#auth$`));
    expect(await pageBackground(page), 'the site stylesheet did not apply').toBe(LIGHT_BG);
    const flash = page.getByTestId('flash-auth');
    await expect(flash.innerText()).resolves.toContain(`Key ${KEY} was set`);
    await page.waitForFunction(() => document.activeElement?.hasAttribute('data-flash'));
    await expect(page.evaluate(() => [document.activeElement?.getAttribute('role'), document.activeElement?.getAttribute('data-testid')])).resolves.toEqual([
      'status',
      'flash-auth',
    ]);
    // The next Tab goes on from the message, not from the top of the page.
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.closest('#auth') !== null)).resolves.toBe(true);
    // A page without a message keeps the browser's own start.
    await open(page, `${f.url}/connectors/acme_shop`);
    await expect(page.evaluate(() => document.activeElement === document.body)).resolves.toBe(true);
  });

  it('every element that takes the focus shows a ring, the current status pill included (WCAG 2.4.7)', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const p of ['/?status=draft', '/connectors/acme_shop']) {
        await open(page, `${f.url}${p}`);
        const focused = await tabThrough(page);
        expect(focused.length, `${p}: elements reached by Tab`).toBeGreaterThan(8);
        expect(focused.filter((x) => !x.ring).map((x) => x.what), `${p} in ${scheme}: focused without a ring`).toEqual([]);
        if (p.startsWith('/?')) expect(focused.some((x) => x.what.startsWith('a[aria-current=true]'))).toBe(true);
      }
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('a long docs host wraps inside its column instead of running under "Approved"', async () => {
    await open(page, `${f.url}/connectors/acme_shop`);
    const facts = await page.locator('.facts > div').evaluateAll((divs) =>
      divs.map((d) => {
        const box = d.getBoundingClientRect();
        const inner = [...d.querySelectorAll('dd, dd *')].map((e) => e.getBoundingClientRect());
        return { label: d.querySelector('dt')?.textContent, left: box.left, right: box.right, widest: Math.max(...inner.map((r) => r.right)) };
      }),
    );
    const docs = facts.find((x) => x.label === 'Docs')!;
    expect(docs).toBeDefined();
    for (const fact of facts) expect(fact.widest, `${fact.label} overflows its column`).toBeLessThanOrEqual(fact.right + 0.5);
    // The whole host is there to read (and is the link), wrapped after its dots and hyphens; the manifest path after a slash.
    const host = page.locator('.facts a').filter({ hasText: 'developers.' });
    await expect(host.innerText()).resolves.toBe(new URL(LONG_DOCS).host);
    const hostWraps = await wrapsAfter(page, '.facts a[href^="https://developers."]');
    expect(hostWraps.length).toBeGreaterThan(0);
    expect(hostWraps.filter((ch) => !'.-'.includes(ch))).toEqual([]);
    const pathWraps = await wrapsAfter(page, '.facts code:has-text("manifest.yaml")');
    expect(pathWraps.filter((ch) => ch !== '/')).toEqual([]);
  });

  it('scope names wrap only after _ . / or :, never inside a word', async () => {
    const narrow = await browser.newPage({ viewport: { width: 380, height: 800 } });
    await open(narrow, `${f.url}/connectors/acme_shop`);
    for (const name of [LONG_SCOPE, URL_SCOPE]) {
      const after = await wrapsAfter(narrow, `tr[data-scope="${name}"] th code`);
      expect(after.length, `${name} should need to wrap at 380px`).toBeGreaterThan(0);
      expect(after.filter((ch) => !'_./:'.includes(ch)), `${name} wrapped inside a word`).toEqual([]);
      await expect(narrow.locator(`tr[data-scope="${name}"] th code`).innerText()).resolves.toBe(name);
    }
    expect(await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);
    await narrow.close();
    // Wide, the column fits the longest part of the name: nothing wraps mid-word there either.
    await open(page, `${f.url}/connectors/acme_shop`);
    const wide = await wrapsAfter(page, `tr[data-scope="${LONG_SCOPE}"] th code`);
    expect(wide.filter((ch) => !'_./:'.includes(ch))).toEqual([]);
  });

  it('follows the system colour scheme: dark pages under prefers-color-scheme: dark', async () => {
    const colours = () =>
      page.evaluate(() => {
        const of = (sel: string) => getComputedStyle(document.querySelector(sel)!);
        return { page: of('html').backgroundColor, text: of('body').color, table: of('table').backgroundColor, link: of('tbody a').color };
      });
    await page.emulateMedia({ colorScheme: 'light' });
    await open(page, f.url);
    expect(await colours()).toEqual({ page: LIGHT_BG, text: 'rgb(28, 35, 48)', table: 'rgb(255, 255, 255)', link: 'rgb(31, 78, 121)' });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await colours()).toEqual({ page: DARK_BG, text: 'rgb(228, 232, 238)', table: 'rgb(22, 29, 38)', link: 'rgb(141, 187, 234)' });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  describe.each(['light', 'dark'] as const)('axe-core, %s scheme', (scheme) => {
    const pages: [string, string, number][] = [
      ['the list', '/', 200],
      ['a draft connector', '/connectors/acme_shop', 200],
      ['an approved connector', '/connectors/beta_crm', 200],
      ['a changed connector with a file diff', '/connectors/gamma_code', 200],
      ['the sync history', '/syncs', 200],
      ['licences', '/licences', 200],
      ...(HAS_ACTIVITY ? [['activity', '/activity', 200] as [string, string, number]] : []),
      ['a 404', '/no/such/page', 404],
    ];

    it.each(pages)('finds no violation on %s (%s), with the problems banner showing', async (_name, p, status) => {
      pipeline = { validation: { ok: false, errors: BROKEN }, syncedAt: new Date(), error: null };
      await page.emulateMedia({ colorScheme: scheme });
      const reply = await open(page, `${f.url}${p}`);
      expect(reply!.status()).toBe(status);
      if (p === '/connectors/gamma_code') await expect(page.locator('#file-changes').count()).resolves.toBe(1);
      expect(await axeViolations(page, scheme)).toEqual([]);
      pipeline = { validation: null, syncedAt: null, error: null };
    });

    if (!HAS_ACTIVITY) it.skip('/activity: the route does not exist in this tree yet, so it is not checked', () => {});

    it('sees a violation planted in the page (the check itself works)', async () => {
      await page.emulateMedia({ colorScheme: scheme });
      await open(page, `${f.url}/syncs`);
      await page.evaluate(() => {
        const img = document.createElement('img');
        img.src = '/favicon.svg';
        document.querySelector('main')!.append(img);
      });
      expect(await axeViolations(page, scheme)).toEqual([expect.stringMatching(/^image-alt: Images must have alternative text \(.*img\)$/)]);
    });

    it('finds no violation on the login page a stranger gets', async () => {
      const context = await browser.newContext({ colorScheme: scheme });
      await context.clearCookies();
      const stranger = await context.newPage();
      const reply = await open(stranger, `${f.url}/`);
      expect(reply!.status()).toBe(401);
      expect(await axeViolations(stranger, scheme)).toEqual([]);
      await context.close();
    });
  });
});

describe.runIf(SCREENSHOTS)('README screenshots from the project connectors (SCREENSHOTS=1)', () => {
  let f: SiteFixture;
  let browser: Browser;
  let pipeline: PipelineStateView = { validation: null, syncedAt: null, error: null };

  beforeAll(async () => {
    await mkdir(SCREENSHOTS!, { recursive: true });
    f = await startFixture(backend, { pipelineState: () => pipeline });
    const repo = await makeRepo(path.join(f.tmp, 'repo'));
    await cp(path.join(ROOT, 'connectors'), path.join(repo, 'connectors'), {
      recursive: true,
      filter: (src) => !src.split(path.sep).includes('node_modules'),
    });
    // As npm start would record it, at this repository's commit.
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    expect((await runSync({ db: f.db, repoRoot: repo, actor: 'npm start', commitSha: head })).result).toBeTruthy();
    // Some history for /activity: two approvals and a KPI mapping (shopify stays a draft for detail.png).
    for (const slug of ['dummy_service', 'stripe']) {
      const { rows } = await f.db.query<{ d: string }>('SELECT manifest_digest AS d FROM connector_providers WHERE provider_slug = $1', [slug]);
      expect(await approveProvider(f.db, { slug, digest: rows[0]!.d, actor: 'tester' })).toMatchObject({ ok: true });
    }
    const { rows: kpis } = await f.db.query<{ raw_metric: string; core_kpi: string }>(
      `SELECT raw_metric, core_kpi FROM kpi_mappings WHERE provider_slug = 'stripe' ORDER BY position LIMIT 1`,
    );
    if (kpis[0]) expect(await approveKpiMapping(f.db, { slug: 'stripe', ...kpis[0], actor: 'tester' })).toMatchObject({ ok: true });
    browser = await launchChromium();
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  const shoot = async (scheme: 'light' | 'dark', url: string, file: string, height: number) => {
    const context = await browser.newContext({ viewport: { width: 1280, height }, colorScheme: scheme });
    const page = await context.newPage();
    await page.goto(`${f.url}${url}`);
    await page.screenshot({ path: path.join(SCREENSHOTS!, file) });
    await context.close();
  };

  it('writes the list, a connector page in light and dark, and /activity', async () => {
    await shoot('light', '/', 'list.png', 800);
    await shoot('light', '/connectors/shopify', 'detail.png', 1100);
    await shoot('dark', '/connectors/shopify', 'detail-dark.png', 1100);
    if (HAS_ACTIVITY) await shoot('light', '/activity', 'activity.png', 800);
  });

  it('writes the broken-manifest banner of a half-filled scaffold', async () => {
    pipeline = { validation: { ok: false, errors: BROKEN }, syncedAt: new Date(), error: null };
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${f.url}/`);
    await page.getByTestId('pipeline-banner').screenshot({ path: path.join(SCREENSHOTS!, 'banner.png') });
    await page.close();
    pipeline = { validation: null, syncedAt: null, error: null };
  });
});
