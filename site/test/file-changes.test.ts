/**
 * "Changed since approval", file by file, in real headless Chromium: a connector with code is
 * synced by the real sentinel and approved in the browser; its code is then edited (a file
 * modified, one added, one removed, a binary changed) and synced again. The page lists exactly
 * those files, shows the line diff of the text files as text (markup in the code stays text, and
 * a bidirectional override is marked, not obeyed), and says why a binary has no diff.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { launchChromium } from './helpers/chromium.ts';
import { startFixture, type SiteFixture } from './helpers/fixture.ts';
import { makeRepo, sync, writeManifest } from './helpers/repo.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/site');
const backend = testBackends()[0]!;
const SLUG = 'acme_code';

const SERVER_V1 = `import { handlers } from './lib/handlers.ts';
export function start() {
  return handlers;
}
`;
const SERVER_V2 = `import { handlers } from './lib/handlers.ts';
import { extra } from './lib/new.ts';
export function start() {
  // <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">
  const role = "user\u202E \u2066// admin\u2069 \u2066";
  return { ...handlers, extra, role };
}
`;

describe(`files changed since approval, in Chromium (${backend})`, () => {
  let f: SiteFixture;
  let browser: Browser;
  let page: Page;
  let repo: string;
  const put = async (rel: string, content: string | Buffer) => {
    const file = path.join(repo, 'connectors', SLUG, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  };

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    f = await startFixture(backend);
    repo = await makeRepo(path.join(f.tmp, 'repo'));
    await writeManifest(repo, testManifest(SLUG, { display_name: 'Acme Code' }));
    await put('server.ts', SERVER_V1);
    await put('lib/handlers.ts', 'export const handlers = {};\n');
    await put('old.ts', 'export const old = true;\n');
    await put('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 1]));
    await put('data.txt', `${Array.from({ length: 1800 }, (_, i) => `row ${i}`).join('\n')}\n`);
    await sync(f.db, repo);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
  });

  it('a draft lists every file the approval will cover', async () => {
    await page.goto(`${f.url}/connectors/${SLUG}`);
    await expect(page.locator('#files li').evaluateAll((els) => els.map((e) => e.getAttribute('data-path')))).resolves.toEqual([
      'data.txt', 'lib/handlers.ts', 'logo.png', 'manifest.yaml', 'old.ts', 'server.ts',
    ]);
    await expect(page.locator('#file-changes').count()).resolves.toBe(0);
  });

  it('the operator approves it; then its code changes and the next sync makes it changed', async () => {
    await page.getByRole('button', { name: /Approve connector…/ }).click();
    await page.getByRole('button', { name: 'Approve connector', exact: true }).click();
    await page.waitForURL(/approved=1/);
    await expect(page.locator('#status [data-status]').first().getAttribute('data-status')).resolves.toBe('approved');

    await put('server.ts', SERVER_V2);
    await put('lib/new.ts', 'export const extra = 1;\n');
    await rm(path.join(repo, 'connectors', SLUG, 'old.ts'));
    await put('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 2]));
    await put('data.txt', `${Array.from({ length: 1800 }, (_, i) => `changed ${i}`).join('\n')}\n`);
    await sync(f.db, repo);

    await page.goto(`${f.url}/connectors/${SLUG}`);
    await expect(page.locator('#status [data-status]').first().getAttribute('data-status')).resolves.toBe('changed');
    await expect(page.locator('#status').innerText()).resolves.toContain('Its manifest or code changed since it was approved');
  });

  it('lists exactly the files added, removed and modified since approval', async () => {
    const items = page.locator('#file-changes li');
    await expect(items.evaluateAll((els) => els.map((e) => [e.getAttribute('data-path'), e.getAttribute('data-change')]))).resolves.toEqual([
      ['data.txt', 'modified'],
      ['lib/new.ts', 'added'],
      ['logo.png', 'modified'],
      ['old.ts', 'removed'],
      ['server.ts', 'modified'],
    ]);
    await expect(page.locator('#file-changes-title').innerText()).resolves.toMatch(/Files changed since approval\s*5 files/);
  });

  it('shows the diff of a text file as text: markup in the code is not run, a bidi override is marked', async () => {
    const diff = page.getByTestId('diff-server.ts');
    const added = await diff.locator('.line.ins .code').allInnerTexts();
    expect(added).toEqual([
      "import { extra } from './lib/new.ts';",
      '  // <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">',
      '  const role = "userU+202E U+2066// adminU+2069 U+2066";',
      '  return { ...handlers, extra, role };',
    ]);
    await expect(diff.locator('.line.del .code').allInnerTexts()).resolves.toEqual(['  return handlers;']);
    await expect(diff.locator('mark.hidden-char').allInnerTexts()).resolves.toEqual(['U+202E', 'U+2066', 'U+2069', 'U+2066']);
    await expect(page.locator('#file-changes script, #file-changes img').count()).resolves.toBe(0);
    await expect(page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).resolves.toBeUndefined();
    await expect(diff.locator('.hunk-header').first().innerText()).resolves.toBe('@@ -1,4 +1,7 @@');
    await diff.screenshot({ path: path.join(ARTIFACTS, 'diff-server-ts.png') });
  });

  it('an added file shows all its lines, a removed one is listed, a binary says why there is no diff', async () => {
    await expect(page.getByTestId('diff-lib/new.ts').locator('.line.ins .code').allInnerTexts()).resolves.toEqual(['export const extra = 1;']);
    await expect(page.getByTestId('diff-old.ts').locator('.line.del .code').allInnerTexts()).resolves.toEqual(['export const old = true;']);
    await expect(page.locator('#file-changes li[data-path="logo.png"]').innerText()).resolves.toMatch(/no text is kept for this file.*sha256 [0-9a-f]{12} → [0-9a-f]{12}/s);
  });

  it('a long diff is clipped, so one file cannot make the page huge', async () => {
    const item = page.locator('#file-changes li[data-path="data.txt"]');
    await expect(item.locator('.line').count()).resolves.toBe(1500);
    await expect(item.innerText()).resolves.toMatch(/… and 2100 more lines/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'detail-file-changes.png'), fullPage: false });
  });

  it('approving again makes it approved, and the file changes are gone from the page', async () => {
    await page.getByRole('button', { name: /Approve connector…/ }).click();
    // The confirmation step names every file changed since the last approval.
    await expect(page.getByTestId('confirm').innerText()).resolves.toMatch(
      /Files changed since the last approval\s*data\.txt: modified\s*lib\/new\.ts: added\s*logo\.png: modified\s*old\.ts: removed\s*server\.ts: modified/,
    );
    await page.getByRole('button', { name: 'Approve connector', exact: true }).click();
    await page.waitForURL(/approved=1/);
    await expect(page.locator('#status [data-status]').first().getAttribute('data-status')).resolves.toBe('approved');
    await expect(page.locator('#file-changes').count()).resolves.toBe(0);
  });
});
