/**
 * The rendered-page cache against a real site, vault-agent and registry on every backend: pages
 * come from the cache only while nothing they show has changed, whoever changed it.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { createVaultClient } from '../../vault-agent/src/client.ts';
import { csrfFrom, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { form, request } from './helpers/http.ts';
import { makeRepo, sync, writeManifest } from './helpers/repo.ts';

const KEY = 'PROVIDER_ACME_SHOP_API_KEY';
const CANARY = `cache-canary-${Math.random().toString(36).slice(2)}-S3cr3t`;
const DIRECT_CANARY = `direct-${CANARY}`;

describe.each(testBackends())('page cache (%s)', (backend) => {
  let f: SiteFixture;
  let repo: string;
  const acme = testManifest('acme_shop', { display_name: 'Acme Shop' });
  const page = (p: string) => request(`${f.url}${p}`);
  const cacheOf = (reply: { headers: Record<string, unknown> }) => reply.headers['x-page-cache'];
  /** Loads a page twice: the second load must come from the cache, or the test proves nothing. */
  const cached = async (p: string) => {
    await page(p);
    const reply = await page(p);
    expect(cacheOf(reply)).toBe('hit');
    return reply;
  };

  beforeAll(async () => {
    f = await startFixture(backend);
    repo = await makeRepo(path.join(f.tmp, 'repo'));
    await writeManifest(repo, acme);
    await writeManifest(repo, testManifest('beta_crm', { display_name: 'Beta CRM' }));
    await sync(f.db, repo);
  });
  afterAll(() => f?.close());

  it('serves an unchanged page from the cache, with the same body', async () => {
    const first = await page('/');
    const second = await page('/');
    expect(cacheOf(first)).toBe('miss');
    expect(cacheOf(second)).toBe('hit');
    expect(second.body).toBe(first.body);
    expect(second.status).toBe(200);
    expect(second.headers['cache-control']).toBe('no-store');
    expect(second.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('shows a sync from outside the site at once', async () => {
    expect((await cached('/')).body).not.toContain('Gamma Ads');
    expect((await cached('/connectors/acme_shop')).body).toContain('Read orders');
    expect((await cached('/syncs')).body.match(/data-sync=/g)).toHaveLength(1);

    await writeManifest(repo, testManifest('gamma_ads', { display_name: 'Gamma Ads' }));
    await writeManifest(repo, { ...acme, scopes: [{ name: 'read_everything', description: 'Read everything', requires_firearm: false }] });
    await sync(f.db, repo);

    expect((await page('/')).body).toContain('Gamma Ads');
    const detail = await page('/connectors/acme_shop');
    expect(detail.body).toContain('Read everything');
    expect(detail.body).not.toContain('Read orders');
    expect((await page('/syncs')).body.match(/data-sync=/g)).toHaveLength(2);
  });

  it('shows a sync that changed nothing at once (its row on /syncs)', async () => {
    const before = (await cached('/syncs')).body.match(/data-sync=/g)?.length ?? 0;
    await sync(f.db, repo);
    expect((await page('/syncs')).body.match(/data-sync=/g)).toHaveLength(before + 1);
  });

  it('shows an approval through the site at once, and the cached page’s CSRF token is accepted', async () => {
    const detail = await cached('/connectors/beta_crm');
    expect(detail.body).toContain('Approve connector…');
    await cached('/?status=approved');
    const digest = /name="digest" value="([0-9a-f]{64})"/.exec(detail.body)![1]!;
    const reply = await request(`${f.url}/api/connectors/beta_crm/approve`, {
      method: 'POST',
      ...form({ csrf: csrfFrom(detail.body), digest, confirm: 'yes' }),
    });
    expect(reply.status).toBe(303);
    const after = await page('/connectors/beta_crm');
    expect(after.body).not.toContain('Approve connector…');
    expect(after.body).toMatch(/Approved<\/dt>\s*<dd>by tester/);
    expect((await page('/?status=approved')).body).toContain('Beta CRM');
  });

  it('shows an approval written by someone else (another site, the registry module) at once', async () => {
    const { approveKpiMapping } = await import('../../pipeline/registry/approvals.ts');
    expect((await cached('/connectors/acme_shop')).body).toContain('0 of 2 approved');
    const result = await approveKpiMapping(f.db, { slug: 'acme_shop', raw_metric: 'total_sales', core_kpi: 'gross_sales', actor: 'other' });
    expect(result.ok).toBe(true);
    expect((await page('/connectors/acme_shop')).body).toContain('1 of 2 approved');
  });

  it('shows a key set through the site at once, and no value is ever in the cache', async () => {
    const detail = await cached('/connectors/acme_shop');
    expect(detail.body).toMatch(new RegExp(`data-testid="state-${KEY}"[^>]*>\\s*Not set`));
    const reply = await request(`${f.url}/api/connectors/acme_shop/secrets/${KEY}`, {
      method: 'POST',
      ...form({ csrf: csrfFrom(detail.body), value: CANARY }),
    });
    expect(reply.status).toBe(303);
    const after = await cached('/connectors/acme_shop');
    expect(after.body).toMatch(new RegExp(`data-testid="state-${KEY}"[^>]*>\\s*Set`));
    await cached('/');
    expect(f.pageCache!.bodies().length).toBeGreaterThan(0);
    expect(f.pageCache!.bodies().join('\n')).not.toContain(CANARY);
  });

  it('shows a key set through vault-agent directly (not through the site) at once', async () => {
    const other = 'PROVIDER_BETA_CRM_API_KEY';
    const detail = await cached('/connectors/beta_crm');
    expect(detail.body).toMatch(new RegExp(`data-testid="state-${other}"[^>]*>\\s*Not set`));
    const client = createVaultClient(f.vaultSocket);
    try {
      expect((await client.put(other, DIRECT_CANARY)).ok).toBe(true);
    } finally {
      client.close();
    }
    const after = await cached('/connectors/beta_crm');
    expect(after.body).toMatch(new RegExp(`data-testid="state-${other}"[^>]*>\\s*Set`));
    expect(f.pageCache!.bodies().join('\n')).not.toContain(DIRECT_CANARY);
  });

  it('never caches pages carrying a flash message, unknown parameters, errors or posts', async () => {
    for (const p of [`/connectors/acme_shop?set=${KEY}`, '/connectors/acme_shop?approved=1', `/connectors/acme_shop?key=${KEY}&error=invalid_value`, '/?error=x', '/syncs?set=1']) {
      const first = await page(p);
      const second = await page(p);
      expect([first.status, cacheOf(first), cacheOf(second)]).toEqual([200, 'bypass', 'bypass']);
    }
    const flash = await page(`/connectors/acme_shop?set=${KEY}`);
    expect(flash.body).toContain(`Key ${KEY} was set`);
    // A 404 is looked up (the path could be a connector) but never kept.
    for (let i = 0; i < 2; i++) expect(cacheOf(await page('/connectors/no_such_thing'))).toBe('miss');
    expect(f.pageCache!.bodies().join('\n')).not.toContain('was set');
    expect(f.pageCache!.bodies().join('\n')).not.toContain('No connector “no_such_thing”');
  });
});

describe('page cache bounds', () => {
  const backend = testBackends()[0]!;
  let f: SiteFixture;
  beforeAll(async () => {
    f = await startFixture(backend, { pageCache: { maxEntries: 3, maxBytes: 64 * 1024 } });
    const repo = await makeRepo(path.join(f.tmp, 'repo'));
    await writeManifest(repo, testManifest('acme_shop'));
    await sync(f.db, repo);
  });
  afterAll(() => f?.close());

  it('keeps at most maxEntries pages and maxBytes of them, dropping the least recently used', async () => {
    for (let i = 0; i < 10; i++) await request(`${f.url}/?q=acme${i}`);
    const stats = f.pageCache!.stats();
    expect(stats.entries).toBeLessThanOrEqual(3);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.bytes).toBeLessThanOrEqual(64 * 1024);
    // The newest survived, the oldest went.
    expect((await request(`${f.url}/?q=acme9`)).headers['x-page-cache']).toBe('hit');
    expect((await request(`${f.url}/?q=acme0`)).headers['x-page-cache']).toBe('miss');
  });
});
