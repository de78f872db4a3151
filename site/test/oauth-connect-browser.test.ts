/**
 * Connecting YouTube in real headless Chromium: the operator sets the OAuth client ID and secret on
 * the Authentication card, clicks Connect, passes the provider (a real OAuth 2.0 server on
 * loopback, named `localhost` so it is another site than the God Config on 127.0.0.1) and lands
 * back on the card, connected. The provider's redirect back is cross-site, so the SameSite=Strict
 * session cookie is held back; the 401 page loads the callback once more from the site, with the
 * cookie, and the one-time state still binds to that session.
 *
 * With SCREENSHOTS=1 it writes the card before and after to site/screenshots/ (the README's walkthrough).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { manifestSchema, type Manifest } from '../../pipeline/schema/manifest.ts';
import { startMockProvider, type MockProvider } from '../../vault-agent/test/oauth-provider.ts';
import { launchChromium } from './helpers/chromium.ts';
import { dumpAllTables, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SCREENSHOTS = process.env.SCREENSHOTS === '1' ? path.join(ROOT, 'site/screenshots') : null;
const backend = testBackends()[0]!;

describe(`connecting YouTube in Chromium (${backend})`, () => {
  let f: SiteFixture;
  let provider: MockProvider;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // Google grants what was asked unless the user unticks some; here the upload scope is left out.
    provider = await startMockProvider({
      urlHost: 'localhost',
      consentPage: true,
      grantScope:
        'https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/yt-analytics.readonly https://www.googleapis.com/auth/yt-analytics-monetary.readonly https://www.googleapis.com/auth/youtube.channel-memberships.creator https://www.googleapis.com/auth/youtube.force-ssl https://www.googleapis.com/auth/youtube',
    });
    const youtube: Manifest = manifestSchema.parse(parse(await readFile(path.join(ROOT, 'connectors/youtube/manifest.yaml'), 'utf8')));
    youtube.oauth = { ...youtube.oauth!, authorize_url: provider.authorizeUrl, token_url: provider.tokenUrl };
    f = await startFixture(backend);
    await seedCatalog(f.db);
    await seedConnectors(f.db, [youtube], 'approved');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 900, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await f?.close();
    await provider?.stop();
  });

  const card = () => page.locator('#auth');

  it('Connect appears once the client ID and secret are set through the card', async () => {
    await page.goto(`${f.url}/connectors/youtube`);
    await expect(page.getByTestId('oauth-state').innerText()).resolves.toBe('Not connected');
    await expect(page.getByTestId('oauth-connect-blocked').innerText()).resolves.toContain('PROVIDER_YOUTUBE_CLIENT_ID and PROVIDER_YOUTUBE_CLIENT_SECRET');
    for (const [key, value] of [
      ['PROVIDER_YOUTUBE_CLIENT_ID', provider.clientId],
      ['PROVIDER_YOUTUBE_CLIENT_SECRET', provider.clientSecret!],
    ] as const) {
      await page.locator(`#value-${key}`).fill(value);
      await page.locator(`li[data-key="${key}"] button[type="submit"]`).click();
      await page.waitForURL(new RegExp(`set=${key}`));
    }
    await page.goto(`${f.url}/connectors/youtube#auth`);
    await expect(page.getByTestId('oauth-connect').innerText()).resolves.toBe('Connect');
    if (SCREENSHOTS) await card().screenshot({ path: path.join(SCREENSHOTS, 'oauth-before.png'), scale: 'css' });
  });

  it('clicking Connect goes through the provider and lands back on the card, connected', async () => {
    await page.getByTestId('oauth-connect').click();
    // The provider's consent page, on another site; Allow sends the operator back.
    await page.waitForURL(new RegExp(`^${provider.authorizeUrl}\\?`));
    await page.locator('#allow').click();
    await page.waitForURL(/\/connectors\/youtube\?oauth=connected/);
    await expect(page.getByTestId('oauth-state').innerText()).resolves.toBe('Connected');
    await expect(page.getByTestId('flash-oauth').innerText()).resolves.toContain('Connected. vault-agent stored the refresh token');
    await expect(page.getByTestId('oauth-since').innerText()).resolves.toMatch(/Connected just now by tester/);
    await expect(page.getByTestId('oauth-not-granted').innerText()).resolves.toContain('https://www.googleapis.com/auth/youtube.upload');
    await expect(page.getByTestId('state-PROVIDER_YOUTUBE_REFRESH_TOKEN').innerText()).resolves.toMatch(/^Set/);
    const stored = await readFile(path.join(f.vaultDir, 'PROVIDER_YOUTUBE_REFRESH_TOKEN.txt'), 'utf8');
    expect(provider.liveRefreshTokens.has(stored)).toBe(true);
    // The provider's redirect came back cross-site without the cookie (401), then once more from the site (303).
    const callbacks = f.logs.filter((l) => l.includes('GET /oauth/callback'));
    expect(callbacks.map((l) => / (\d{3}) /.exec(l)?.[1])).toEqual(['401', '303']);
    // The address bar holds neither the code nor the state.
    expect(page.url()).not.toMatch(/code=|state=/);
    if (SCREENSHOTS) await card().screenshot({ path: path.join(SCREENSHOTS, 'oauth-after.png'), scale: 'css' });
  });

  it('no token and no client secret in the page, the browser\'s history, the logs or the registry', async () => {
    const html = await page.content();
    const history = await page.evaluate(() => location.href);
    const all = `${html}\n${history}\n${f.logs.join('\n')}\n${await dumpAllTables(f.db)}`;
    for (const secret of [provider.clientSecret!, ...provider.issued]) expect(all).not.toContain(secret);
  });
});
