/**
 * The list at scale in real Chromium: 400 connectors are 8 pages with numbered links (the current
 * one marked for assistive technology), names sort naturally, column headers sort and say how, a
 * page past the last says so and leads to the last, and the row of a connector whose manifest npm
 * start found broken is marked in words.
 */
import path from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import type { PipelineStateView } from '../src/lib/ports.ts';
import { launchChromium } from './helpers/chromium.ts';
import { startFixture, type SiteFixture } from './helpers/fixture.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/site');
// One backend: the queries are tested on both in list-query.test.ts.
const backend = testBackends()[0]!;

describe(`the list at scale in Chromium (${backend})`, () => {
  let f: SiteFixture;
  let browser: Browser;
  let page: Page;
  const pipeline: PipelineStateView = {
    validation: {
      ok: false,
      errors: [
        { file: 'connectors/acme_ads_2/manifest.yaml', line: 4, column: 1, path: 'auth_mode', message: 'must be one of oauth, byok' },
        { file: 'connectors/acme_ads_2/manifest.yaml', line: 9, column: 3, path: 'docs_url', message: 'must be an https:// URL' },
      ],
    },
    syncedAt: new Date(),
    error: null,
  };
  const names = async () => page.locator('tbody th[scope="row"] > a').allInnerTexts();

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    f = await startFixture(backend, { pipelineState: () => pipeline });
    await seedCatalog(f.db);
    await seedConnectors(
      f.db,
      Array.from({ length: 400 }, (_, i) => testManifest(`acme_ads_${i + 1}`, { display_name: `Acme Ads ${i + 1}` })),
    );
    // Acme Ads 400 was updated last.
    await f.db.query(`UPDATE connector_providers SET updated_at = now() + interval '1 hour' WHERE provider_slug = 'acme_ads_400'`);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  it('sorts names naturally and numbers the pages: first, last and the current one marked', async () => {
    await page.goto(f.url);
    expect((await names()).slice(0, 3)).toEqual(['Acme Ads 1', 'Acme Ads 2', 'Acme Ads 3']);
    expect((await names()).at(-1)).toBe('Acme Ads 50');
    await expect(page.getByTestId('page-summary').innerText()).resolves.toBe('1–50 of 400 · page 1 of 8');
    const pager = page.getByRole('navigation', { name: 'Pages' });
    await expect(pager.locator('[aria-current="page"]').innerText()).resolves.toBe('1');
    await expect(pager.locator('.gap').count()).resolves.toBe(1); // 1 2 3 … 8
    await pager.getByRole('link', { name: 'Page 8, the last' }).click();
    await page.waitForURL(/\?page=8$/);
    expect(await names()).toEqual(Array.from({ length: 50 }, (_, i) => `Acme Ads ${351 + i}`));
    await expect(pager.locator('[aria-current="page"]').getAttribute('aria-label')).resolves.toBe('Page 8, the last');
    await pager.getByRole('link', { name: 'Page 6' }).click();
    await page.waitForURL(/\?page=6$/);
    await expect(page.getByTestId('page-summary').innerText()).resolves.toBe('251–300 of 400 · page 6 of 8');
    await page.getByRole('link', { name: '← Previous' }).click();
    await page.waitForURL(/\?page=5$/);
    expect((await names())[0]).toBe('Acme Ads 201');
    await pager.screenshot({ path: path.join(ARTIFACTS, 'list-pager.png') });
  });

  it('sorts by a column from its header, saying so with aria-sort, and keeps the order through a search', async () => {
    await page.goto(f.url);
    const nameHeader = page.locator('thead th', { has: page.locator('a[data-sort="name"]') });
    await expect(nameHeader.getAttribute('aria-sort')).resolves.toBe('ascending');
    await page.getByRole('link', { name: /^Connector \(sort by name, descending\)$/ }).click();
    await page.waitForURL(/\?dir=desc$/);
    await expect(nameHeader.getAttribute('aria-sort')).resolves.toBe('descending');
    expect((await names()).slice(0, 2)).toEqual(['Acme Ads 400', 'Acme Ads 399']);

    await page.getByRole('link', { name: /^Updated \(sort by last update, newest first\)$/ }).click();
    await page.waitForURL(/\?sort=updated$/);
    await expect(page.locator('thead th', { has: page.locator('a[data-sort="updated"]') }).getAttribute('aria-sort')).resolves.toBe('descending');
    await expect(nameHeader.getAttribute('aria-sort')).resolves.toBeNull();
    expect((await names())[0]).toBe('Acme Ads 400');

    await page.getByLabel('Search', { exact: true }).fill('ads 39');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/\?q=ads\+39&.*sort=updated$/);
    // Acme Ads 39 and 390 to 399, all updated together: ties go by slug, in the same direction.
    expect(await names()).toEqual(['Acme Ads 399', ...Array.from({ length: 9 }, (_, i) => `Acme Ads ${398 - i}`), 'Acme Ads 39']);
  });

  it('says a page past the last does not exist (404) and links to the last page', async () => {
    const reply = await page.goto(`${f.url}/?page=201`);
    expect(reply?.status()).toBe(404);
    const notice = page.getByTestId('page-out-of-range');
    await expect(notice.innerText()).resolves.toContain('There is no page 201: the connectors fill 8 pages.');
    await expect(page.locator('table.connectors').count()).resolves.toBe(0);
    await expect(page.getByText('No connectors are registered yet').count()).resolves.toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'list-out-of-range.png'), fullPage: true });
    await notice.getByRole('link', { name: 'Go to the last page (page 8)' }).click();
    await page.waitForURL(/\?page=8$/);
    await expect(page.getByTestId('page-summary').innerText()).resolves.toBe('351–400 of 400 · page 8 of 8');
  });

  it("marks the row of a connector whose manifest npm start found broken, in words, and only that row", async () => {
    await page.goto(f.url);
    const row = page.locator('tr[data-slug="acme_ads_2"]');
    await expect(row.getByTestId('manifest-broken').innerText()).resolves.toContain('Manifest broken: 2 problems, showing the last good version');
    await expect(page.getByTestId('manifest-broken').count()).resolves.toBe(1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'list-top.png') });
  });
});
