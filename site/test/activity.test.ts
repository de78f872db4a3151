/**
 * `/activity` in the real site on every backend: every registry event newest first, in words, with
 * who, when and the connector; failed syncs with where their problems are, escaped; syncs of
 * uncommitted work marked as such (on /syncs too); filters by connector and kind through a GET
 * form; keyset pages that keep the filters; a new event shown at once despite the page cache;
 * and, in Chromium, the page with no console error.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { recordFailedSync } from '../../pipeline/sentinel/record.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { recordKeyEvent } from '../src/lib/queries/events.ts';
import { ACTIVITY_PAGE_SIZE } from '../src/lib/queries/activity.ts';
import { launchChromium } from './helpers/chromium.ts';
import { startFixture, type SiteFixture } from './helpers/fixture.ts';
import { request } from './helpers/http.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const SHA = 'abc1234567'.padEnd(40, '0');
/** How many key_set events beta_crm gets: enough for three pages. */
const BULK = ACTIVITY_PAGE_SIZE * 2 + 7;

interface Item {
  id: number;
  kind: string;
  outcome: string | null;
  html: string;
}

/** The page's events, in page order. */
function items(html: string): Item[] {
  return html
    .split('<li data-event="')
    .slice(1)
    .map((chunk) => {
      const [, id, kind, outcome] = /^(\d+)" data-kind="([a-z_]+)"(?: data-outcome="([a-z]+)")?/.exec(chunk) ?? [];
      return { id: Number(id), kind: kind!, outcome: outcome ?? null, html: chunk.split('</ol>')[0]! };
    });
}

const olderLink = (html: string) => /<a class="button" rel="next" href="([^"]+)"/.exec(html)?.[1]?.replace(/&(?:amp|#38);/g, '&') ?? null;

describe.each(testBackends())('/activity (%s)', (backend) => {
  let f: SiteFixture;
  let failedId: number;
  const page = async (p: string) => {
    const r = await request(`${f.url}${p}`);
    expect(r.status, p).toBe(200);
    return r.body;
  };

  beforeAll(async () => {
    f = await startFixture(backend);
    await seedCatalog(f.db);
    await seedConnectors(f.db, [testManifest('acme_shop', { display_name: 'Acme Shop' })], 'approved');
    await seedConnectors(f.db, [testManifest('beta_crm', { display_name: 'Beta CRM' })], 'draft');
    // The oldest events: many keys set on beta_crm, for the pages.
    await f.db.query(
      `INSERT INTO registry_events (provider_slug, kind, actor, details)
       SELECT 'beta_crm', 'key_set', 'bulk', jsonb_build_object('key', 'PROVIDER_BETA_CRM_API_KEY') FROM generate_series(1, $1)`,
      [BULK],
    );
    // A sync of uncommitted work, and its status change, as the sentinel writes them.
    const { rows } = await f.db.query<{ id: string }>(
      `INSERT INTO registry_syncs (started_at, commit_sha, worktree_dirty, actor, outcome, counts)
       VALUES (now(), $1, true, 'npm start', 'applied', '{"providers":{"added":0,"changed":1,"unchanged":1,"retired":0,"revived":0}}') RETURNING id`,
      [SHA],
    );
    await f.db.query(`INSERT INTO registry_events (kind, actor, sync_id, details) VALUES ('sync', 'npm start', $1, '{"outcome":"applied"}')`, [rows[0]!.id]);
    await f.db.query(
      `INSERT INTO registry_events (provider_slug, kind, actor, sync_id, details)
       VALUES ('acme_shop', 'status_changed', 'npm start', $1, '{"kind":"changed","from":"approved","to":"changed"}')`,
      [rows[0]!.id],
    );
    // The writers the site and the sentinel use.
    await f.db.query(`INSERT INTO registry_events (provider_slug, kind, actor, details) VALUES ('acme_shop', 'approve', 'tester', '{"digest":"0123456789abcdef0123","from":"changed"}')`);
    await recordKeyEvent(f.db, { slug: 'acme_shop', keyName: 'PROVIDER_ACME_SHOP_API_KEY', actor: 'tester', outcome: 'key_set' });
    failedId = (await recordFailedSync(f.db, {
      startedAt: new Date(),
      actor: 'ci',
      commitSha: SHA,
      worktreeDirty: true,
      summary: {
        errors: 7,
        warnings: 1,
        first: [
          { file: 'connectors/acme_shop/manifest.yaml', line: 9, column: 1, path: 'docs_url', code: 'invalid_url' },
          { file: 'connectors/acme_shop/manifest.yaml', line: 12, column: 5, path: '<b>scopes</b>[0]', code: 'unknown_field' },
        ],
      },
    }))!;
    expect(failedId).toEqual(expect.any(Number));
  });
  afterAll(async () => {
    await f?.close();
  });

  it('lists every event newest first, each in words with who, when and its connector', async () => {
    const html = await page('/activity');
    const list = items(html);
    expect(list).toHaveLength(ACTIVITY_PAGE_SIZE);
    expect(list.map((i) => i.id)).toEqual([...list.map((i) => i.id)].sort((a, b) => b - a));
    expect(list.slice(0, 6).map((i) => [i.kind, i.outcome])).toEqual([
      ['sync', 'failed'],
      ['key_set', null],
      ['approve', null],
      ['status_changed', null],
      ['sync', 'applied'],
      ['key_set', null],
    ]);
    const [failed, key, approve, status, applied] = list;
    expect(key!.html).toContain('<a href="/connectors/acme_shop">Acme Shop</a>');
    expect(key!.html).toContain('Set the key PROVIDER_ACME_SHOP_API_KEY');
    expect(key!.html).toMatch(/by tester/);
    expect(key!.html).toMatch(/<time datetime="\d{4}-\d\d-\d\dT[^"]+" title="[^"]+ UTC">just now<\/time>/);
    expect(approve!.html).toContain('Approved digest 0123456789ab, which was changed.');
    expect(status!.html).toContain('Status approved → changed: its folder changed since approval');
    expect(applied!.html).toContain('Registry');
    expect(applied!.html).toMatch(/Sync #\d+ applied: 1 connector changed\./);
    expect(applied!.html).toContain('HEAD abc1234567 + uncommitted changes');
    expect(failed!.html).toContain(`Sync #${failedId} failed: 7 problems and 1 warning in the manifests or catalogues: nothing was applied.`);
    expect(html).toMatch(/<a href="\/activity" aria-current="page">Activity<\/a>/);
  });

  it('a failed sync shows where its problems are, escaped, and how to see the messages', async () => {
    const failed = items(await page('/activity')).find((i) => i.outcome === 'failed')!;
    expect(failed.html).toContain('connectors/acme_shop/manifest.yaml:9:1');
    expect(failed.html).toContain('invalid_url');
    expect(failed.html).toContain('&lt;b&gt;scopes&lt;/b&gt;[0]');
    expect(failed.html).not.toContain('<b>scopes</b>');
    expect(failed.html).toContain('and 5 more.');
    expect(failed.html).toContain('npm run connectors -- validate');
  });

  it('filters by connector and by kind through a GET form with labelled controls', async () => {
    const html = await page('/activity');
    expect(html).toMatch(/<form class="filters" method="get" action="\/activity"/);
    expect(html).toMatch(/<label for="activity-connector">Connector \(slug\)<\/label>\s*<input id="activity-connector" name="connector"/);
    expect(html).toMatch(/<label for="activity-kind">Kind of event<\/label>\s*<select id="activity-kind" name="kind">/);

    const acme = items(await page('/activity?connector=acme_shop'));
    expect(acme.map((i) => i.kind)).toEqual(['key_set', 'approve', 'status_changed']);
    expect(acme.every((i) => i.html.includes('href="/connectors/acme_shop"'))).toBe(true);

    const syncs = items(await page('/activity?kind=sync'));
    expect(syncs.map((i) => i.outcome)).toEqual(['failed', 'applied']);

    const both = await page('/activity?connector=acme_shop&kind=key_set');
    expect(items(both).map((i) => i.kind)).toEqual(['key_set']);
    expect(both).toMatch(/<option value="key_set" selected>Keys set<\/option>/);
    expect(both).toMatch(/value="acme_shop"/);

    expect(items(await page('/activity?connector=acme_shop&kind=licence_grant'))).toEqual([]);
  });

  it('pages with ?before= keeping the filters, to the oldest event and no further', async () => {
    const seen: number[] = [];
    let next: string | null = '/activity?kind=key_set';
    let pages = 0;
    while (next) {
      const html = await page(next);
      const list = items(html);
      expect(list.every((i) => i.kind === 'key_set')).toBe(true);
      seen.push(...list.map((i) => i.id));
      next = olderLink(html);
      if (next) expect(next).toMatch(/^\/activity\?kind=key_set&before=\d+$/);
      if (++pages > 1) expect(html).toContain('href="/activity?kind=key_set">Newest</a>');
      expect(pages).toBeLessThan(10);
    }
    const { rows } = await f.db.query<{ id: string }>(`SELECT id FROM registry_events WHERE kind = 'key_set' ORDER BY id DESC`);
    expect(seen).toEqual(rows.map((r) => Number(r.id)));
    expect(pages).toBe(Math.ceil((BULK + 1) / ACTIVITY_PAGE_SIZE));
  });

  it('says which filter it could not use instead of guessing, and escapes it', async () => {
    const bad = await page('/activity?connector=Acme%20Shop&kind=%3Cscript%3E');
    expect(bad).toContain('role="alert">&quot;Acme Shop&quot; is not a connector slug');
    expect(bad).toContain('&quot;&lt;script&gt;&quot; is not a kind of event');
    expect(bad).not.toContain('<script>');
    expect(items(bad)).toHaveLength(ACTIVITY_PAGE_SIZE);

    const unknown = await page('/activity?connector=nobody_here');
    expect(unknown).toContain('data-testid="unknown-connector"');
    expect(unknown).toContain('No events match these filters.');
  });

  it('/syncs shows failed syncs with their problems and marks syncs of uncommitted work', async () => {
    const html = await page('/syncs');
    const failedRow = new RegExp(`<tr data-sync="${failedId}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
    expect(failedRow).toContain('outcome-failed');
    expect(failedRow).toContain('HEAD abc1234567 + uncommitted changes');
    expect(failedRow).toContain('7 problems and 1 warning');
    expect(failedRow).toContain('connectors/acme_shop/manifest.yaml:12:5');
    expect(failedRow).toContain('&lt;b&gt;scopes&lt;/b&gt;[0]');
  });

  it('a new event shows at once: the page cache follows the registry', async () => {
    await page('/activity?kind=key_set_failed');
    expect(items(await page('/activity?kind=key_set_failed'))).toEqual([]);
    // Another process (the connector runtime, a sync) writes: the registry generation moves.
    const other = new pg.Pool({ connectionString: f.databaseUrl, max: 1 });
    try {
      await recordKeyEvent(other, { slug: 'beta_crm', keyName: 'PROVIDER_BETA_CRM_API_KEY', actor: 'tester', outcome: 'key_set_failed', code: 'invalid_value' });
    } finally {
      await other.end();
    }
    const after = items(await page('/activity?kind=key_set_failed'));
    expect(after.map((i) => i.kind)).toEqual(['key_set_failed']);
    expect(after[0]!.html).toContain('Tried to set the key PROVIDER_BETA_CRM_API_KEY; it was not stored (invalid_value).');
  });

  // The browser sees the same HTML on either backend: one Chromium run (on the first) covers it.
  it.runIf(backend === testBackends()[0])('renders in Chromium with no console error, and its filter form works', async () => {
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      tab.on('pageerror', (e) => errors.push(e.message));
      await tab.goto(`${f.url}/`);
      await tab.getByRole('link', { name: 'Activity' }).click();
      await tab.waitForURL(/\/activity$/);
      await expect(tab.locator('li[data-event]').count()).resolves.toBe(ACTIVITY_PAGE_SIZE);
      await tab.getByLabel('Connector (slug)').fill('acme_shop');
      await tab.getByLabel('Kind of event').selectOption('approve');
      await tab.getByRole('button', { name: 'Apply' }).click();
      await tab.waitForURL(/\/activity\?connector=acme_shop&kind=approve$/);
      await expect(tab.locator('li[data-event]').allInnerTexts()).resolves.toEqual([expect.stringMatching(/Acme Shop[\s\S]*Approved digest/)]);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
