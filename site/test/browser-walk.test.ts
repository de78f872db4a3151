/**
 * The operator's walk through the site in real headless Chromium (Debian's, driven by
 * playwright-core): find a connector, set its key, approve it, then see a manifest change
 * arrive as `changed` with the differences. Screenshots go to test-artifacts/.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { launchChromium } from './helpers/chromium.ts';
import { dumpAllTables, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { makeRepo, sync, writeManifest } from './helpers/repo.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/site');
const KEY = 'PROVIDER_ACME_SHOP_API_KEY';
const CANARY = `walk-canary-${Math.random().toString(36).slice(2)}`;

// One backend is enough for the browser: the SQL is the same on both and the security and
// query tests cover PostgreSQL. PGlite is the one every machine has.
const backend = testBackends()[0]!;

describe(`operator walk in Chromium (${backend})`, () => {
  let f: SiteFixture;
  let browser: Browser;
  let page: Page;
  let repo: string;
  const sample = testManifest('acme_shop');
  // read_orders says access: read; refund_orders (a firearm) says nothing, so it shows as Write.
  const acme = testManifest('acme_shop', { display_name: 'Acme Shop', scopes: [{ ...sample.scopes[0]!, access: 'read' }, sample.scopes[1]!] });

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    f = await startFixture(backend);
    repo = await makeRepo(path.join(f.tmp, 'repo'));
    for (const m of [acme, testManifest('beta_crm', { display_name: 'Beta CRM', auth_mode: 'oauth_and_byok' }), testManifest('gamma_ads', { display_name: 'Gamma Ads', scopes: [{ name: 'read_reports', description: 'Read reports', requires_firearm: false }] })]) {
      await writeManifest(repo, m);
    }
    await sync(f.db, repo);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  it('lists every synced connector with its counts, and the last sync', async () => {
    await page.goto(f.url);
    await expect(page.locator('tbody tr').count()).resolves.toBe(3);
    const acmeRow = page.locator('tr[data-slug="acme_shop"]');
    await expect(acmeRow.innerText()).resolves.toMatch(/Acme Shop[\s\S]*Draft[\s\S]*Own key \(BYOK\)[\s\S]*2[\s\S]*1[\s\S]*0 \/ 2/);
    await expect(page.getByTestId('count-draft').innerText()).resolves.toContain('3');
    await expect(page.getByTestId('last-synced').innerText()).resolves.toMatch(/Last synced:\s*just now/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'list.png'), fullPage: true });
  });

  it('searches and filters without JavaScript-only controls, and the result is a shareable link', async () => {
    await page.getByLabel('Search', { exact: true }).fill('acme');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/\?q=acme/);
    await expect(page.locator('tbody tr').count()).resolves.toBe(1);
    // The same link opened fresh shows the same list.
    const shared = await browser.newPage();
    await shared.goto(`${f.url}/?firearm=no`);
    await expect(shared.locator('tbody tr').allInnerTexts()).resolves.toEqual([expect.stringContaining('Gamma Ads')]);
    await shared.goto(`${f.url}/?missing=1&auth=oauth_and_byok`);
    await expect(shared.locator('tbody tr').allInnerTexts()).resolves.toEqual([expect.stringContaining('Beta CRM')]);
    await shared.close();
  });

  it('opens the detail page with scopes, firearm badges, KPI mappings and the declared keys', async () => {
    await page.getByRole('link', { name: 'Acme Shop' }).click();
    await page.waitForURL(/\/connectors\/acme_shop$/);
    await expect(page.locator('tr[data-scope="refund_orders"]').innerText()).resolves.toContain('Firearm · REFUND_ISSUE');
    await expect(page.locator('tr[data-scope="read_orders"] td[data-label="Access"]').innerText()).resolves.toBe('Read');
    await expect(page.locator('tr[data-scope="refund_orders"] td[data-label="Access"]').innerText()).resolves.toBe('Write');
    await expect(page.locator('#kpis').innerText()).resolves.toContain('Gross sales');
    await expect(page.getByTestId(`state-${KEY}`).innerText()).resolves.toBe('Not set (required)');
    await page.screenshot({ path: path.join(ARTIFACTS, 'detail.png'), fullPage: true });
    // Gamma Ads' read_reports does not say its access: "May write", as MCP clients are told.
    await page.goto(`${f.url}/connectors/gamma_ads`);
    await expect(page.locator('tr[data-scope="read_reports"] td[data-label="Access"]').innerText()).resolves.toBe('May write');
    await page.goto(`${f.url}/connectors/acme_shop`);
  });

  it('sets a key: the card then says "set" and the key file holds exactly the value', async () => {
    await page.getByLabel('Value for API key').fill(CANARY);
    await page.locator(`li[data-key="${KEY}"]`).getByRole('button', { name: 'Set key' }).click();
    await page.waitForURL(new RegExp(`\\?set=${KEY}#auth$`));
    expect(page.url()).not.toContain(CANARY);
    await expect(page.getByTestId(`state-${KEY}`).innerText()).resolves.toMatch(/^Set just now/);
    await expect(page.getByTestId('flash-auth').innerText()).resolves.toContain(`Key ${KEY} was set`);
    await expect(page.content()).resolves.not.toContain(CANARY);
    expect(await readFile(path.join(f.vaultDir, `${KEY}.txt`), 'utf8')).toBe(CANARY);
    await page.goto(f.url);
    await expect(page.locator('tr[data-slug="acme_shop"]').innerText()).resolves.toContain('1 / 2');
  });

  it('approves the draft and a KPI mapping: status approved, recorded with who', async () => {
    await page.goto(`${f.url}/connectors/acme_shop`);
    await page.getByRole('button', { name: /Approve connector…/ }).click();
    await page.getByRole('button', { name: 'Approve connector', exact: true }).click();
    await page.waitForURL(/\?approved=1#status$/);
    await expect(page.locator('#status .badge').first().innerText()).resolves.toBe('Approved');
    await expect(page.getByRole('button', { name: /Approve connector…/ }).count()).resolves.toBe(0);
    await page.locator('tr[data-kpi="total_sales:gross_sales"]').getByRole('button', { name: /Approve mapping/ }).click();
    await page.waitForURL(/kpi_approved=gross_sales/);
    await expect(page.locator('tr[data-kpi="total_sales:gross_sales"]').innerText()).resolves.toContain('Approved');
    await expect(page.locator('#activity').innerText()).resolves.toMatch(/Approved KPI mapping[\s\S]*by tester[\s\S]*Approved[\s\S]*by tester/);
  });

  it('shows a changed manifest as `changed`, with each difference since approval', async () => {
    await writeManifest(repo, {
      ...acme,
      display_name: 'Acme Shop Plus',
      scopes: [...acme.scopes, { name: 'delete_products', description: 'Delete products', requires_firearm: true, firearm_type: 'CODE_DELETE' }],
      kpis: [{ ...acme.kpis[0]!, aggregation: 'max' }, acme.kpis[1]!],
    });
    await sync(f.db, repo);
    await page.goto(`${f.url}/connectors/acme_shop`);
    await expect(page.locator('#status .badge').first().innerText()).resolves.toBe('Changed');
    const diff = page.locator('#changes');
    await expect(diff.locator('tr[data-path="display_name"]').innerText()).resolves.toMatch(/Changed[\s\S]*Acme Shop[\s\S]*Acme Shop Plus/);
    await expect(diff.locator('tr[data-path="scopes[delete_products]"]').innerText()).resolves.toMatch(/Added[\s\S]*CODE_DELETE/);
    await expect(diff.locator('tr[data-path="kpis[total_sales → gross_sales].aggregation"]').innerText()).resolves.toMatch(/sum[\s\S]*max/);
    await expect(page.getByRole('button', { name: /Approve connector…/ }).count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'detail-changed.png'), fullPage: true });
  });

  it('lists both syncs on /syncs', async () => {
    await page.goto(`${f.url}/syncs`);
    await expect(page.locator('tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('tbody').innerText()).resolves.toContain('ci-test');
  });

  it('stays readable in a narrow window', async () => {
    const narrow = await browser.newPage({ viewport: { width: 380, height: 800 } });
    await narrow.goto(`${f.url}/connectors/acme_shop`);
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await narrow.screenshot({ path: path.join(ARTIFACTS, 'detail-narrow.png'), fullPage: true });
    await narrow.goto(f.url);
    await narrow.screenshot({ path: path.join(ARTIFACTS, 'list-narrow.png'), fullPage: true });
    await narrow.close();
  });

  it('never shows the value in a page, the log or the database', async () => {
    expect(f.logs.join('\n')).not.toContain(CANARY);
    expect(await dumpAllTables(f.db)).not.toContain(CANARY);
  });
});
