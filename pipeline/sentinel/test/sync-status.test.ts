import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveKpiMapping, approveProvider } from '../../registry/approvals.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { renderPlan, runSync } from '../index.ts';
import { makeRepo, type TestRepo } from './helpers.ts';

describe.each(testBackends())('provider statuses (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  const sync = async () => (await runSync({ db: pool, repoRoot: repo.root, actor: 'ci' })).result!;
  const provider = async (slug: string) =>
    (await pool.query(`SELECT status, manifest_digest, approved_digest, approved_manifest, approved_by, retired_at FROM connector_providers WHERE provider_slug = $1`, [slug])).rows[0];
  const approve = async (slug: string) => {
    const { manifest_digest } = await provider(slug);
    expect(await approveProvider(pool, { slug, digest: manifest_digest, actor: 'operator' })).toMatchObject({ ok: true });
  };

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo(['shop', 'mail', 'gone']);
    await sync();
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('approve then change a manifest gives changed, keeping the approved manifest for the diff', async () => {
    await approve('shop');
    const approved = await provider('shop');
    expect(approved).toMatchObject({ status: 'approved', approved_by: 'operator' });
    repo.write('shop', { display_name: 'Shop v2' });
    const result = await sync();
    expect(result.plan.providers).toEqual([
      expect.objectContaining({ slug: 'shop', kind: 'changed', status_before: 'approved', status_after: 'changed' }),
    ]);
    const changed = await provider('shop');
    expect(changed.status).toBe('changed');
    expect(changed.approved_digest).toBe(approved.manifest_digest);
    expect(changed.approved_manifest.display_name).toBe('Service shop');
    expect(changed.manifest_digest).not.toBe(approved.manifest_digest);
    const events = await pool.query(`SELECT details FROM registry_events WHERE provider_slug = 'shop' AND kind = 'status_changed'`);
    expect(events.rows.map((r) => [r.details.from, r.details.to])).toEqual([['approved', 'changed']]);
  });

  it('changing the manifest back to the approved digest makes it approved again', async () => {
    repo.write('shop');
    const result = await sync();
    expect(result.plan.providers).toEqual([expect.objectContaining({ slug: 'shop', status_before: 'changed', status_after: 'approved' })]);
    const back = await provider('shop');
    expect(back.status).toBe('approved');
    expect(back.manifest_digest).toBe(back.approved_digest);
  });

  it('approval is of the exact digest the operator saw', async () => {
    const result = await approveProvider(pool, { slug: 'mail', digest: 'f'.repeat(64), actor: 'operator' });
    expect(result).toMatchObject({ ok: false, code: 'conflict' });
    expect((await provider('mail')).status).toBe('draft');
    expect(await approveProvider(pool, { slug: 'nope', digest: 'f'.repeat(64), actor: 'operator' })).toMatchObject({ ok: false, code: 'not_found' });
  });

  it('a KPI mapping whose aggregation changed loses its approval; an unchanged one keeps it', async () => {
    repo.write('mail', {
      kpis: [
        { raw: 'total_sales', standard: 'gross_sales', aggregation: 'sum' },
        { raw: 'order_count', standard: 'orders', aggregation: 'sum' },
      ],
    });
    await sync();
    for (const [raw, kpi] of [['total_sales', 'gross_sales'], ['order_count', 'orders']] as const) {
      expect(await approveKpiMapping(pool, { slug: 'mail', raw_metric: raw, core_kpi: kpi, actor: 'operator' })).toEqual({ ok: true, already: false });
    }
    repo.write('mail', {
      kpis: [
        { raw: 'total_sales', standard: 'gross_sales', aggregation: 'avg' },
        { raw: 'order_count', standard: 'orders', aggregation: 'sum' },
      ],
    });
    const result = await sync();
    expect(result.plan.providers[0]!.kpi_mappings.changed).toEqual([
      { before: { raw_metric: 'total_sales', core_kpi: 'gross_sales', aggregation: 'sum' }, after: { raw_metric: 'total_sales', core_kpi: 'gross_sales', aggregation: 'avg' } },
    ]);
    const { rows } = await pool.query(`SELECT raw_metric, aggregation, approved_by FROM kpi_mappings WHERE provider_slug = 'mail' ORDER BY position`);
    expect(rows).toEqual([
      { raw_metric: 'total_sales', aggregation: 'avg', approved_by: null },
      { raw_metric: 'order_count', aggregation: 'sum', approved_by: 'operator' },
    ]);
  });

  it('a removed folder gives retired with its rows kept; bringing it back gives draft with approvals cleared', async () => {
    await approve('gone');
    await approveKpiMapping(pool, { slug: 'gone', raw_metric: 'total_sales', core_kpi: 'gross_sales', actor: 'operator' });
    repo.remove('gone');
    const retired = await sync();
    expect(retired.plan.providers).toEqual([expect.objectContaining({ slug: 'gone', kind: 'retired', status_before: 'approved', status_after: 'retired' })]);
    const tomb = await provider('gone');
    expect(tomb.status).toBe('retired');
    expect(tomb.retired_at).not.toBeNull();
    const scopes = await pool.query(`SELECT name FROM connector_scopes WHERE provider_slug = 'gone' ORDER BY position`);
    expect(scopes.rows.map((r) => r.name)).toEqual(['read_items', 'purge_items']);
    expect((await sync()).outcome).toBe('noop'); // a tombstone is not retired twice

    repo.write('gone');
    const revived = await sync();
    expect(revived.plan.providers).toEqual([expect.objectContaining({ slug: 'gone', kind: 'revived', status_before: 'retired', status_after: 'draft' })]);
    const back = await provider('gone');
    expect(back).toMatchObject({ status: 'draft', approved_digest: null, approved_manifest: null, approved_by: null, retired_at: null });
    const kpis = await pool.query(`SELECT approved_at FROM kpi_mappings WHERE provider_slug = 'gone'`);
    expect(kpis.rows).toEqual([{ approved_at: null }]);
  });

  it('child rows are added, changed and removed as the manifest says', async () => {
    repo.write('shop', {
      secrets: [{ key: 'PROVIDER_SHOP_TOKEN', label: 'Token', optional: true }],
      scopes: [
        { name: 'read_items', description: 'Read every item', requires_firearm: false },
        { name: 'refund_orders', description: 'Refund orders', requires_firearm: true, firearm_type: 'REFUND_ISSUE' },
      ],
    });
    const p = (await sync()).plan.providers[0]!;
    expect(p.scopes.added.map((s) => s.name)).toEqual(['refund_orders']);
    expect(p.scopes.changed.map((c) => c.after.description)).toEqual(['Read every item']);
    expect(p.scopes.removed.map((s) => s.name)).toEqual(['purge_items']);
    expect(p.secrets.added.map((s) => s.key_name)).toEqual(['PROVIDER_SHOP_TOKEN']);
    expect(p.secrets.removed.map((s) => s.key_name)).toEqual(['PROVIDER_SHOP_API_KEY']);
    const { rows } = await pool.query(`SELECT name, firearm_type FROM connector_scopes WHERE provider_slug = 'shop' ORDER BY position`);
    expect(rows).toEqual([
      { name: 'read_items', firearm_type: null },
      { name: 'refund_orders', firearm_type: 'REFUND_ISSUE' },
    ]);
  });

  it('a change of access alone is a changed scope: planned, shown and written', async () => {
    const scopes = (access?: 'read' | 'write') => [
      { name: 'read_items', description: 'Read every item', requires_firearm: false, ...(access ? { access } : {}) },
      { name: 'refund_orders', description: 'Refund orders', requires_firearm: true, firearm_type: 'REFUND_ISSUE', access: 'write' as const },
    ];
    const access = async () =>
      (await pool.query(`SELECT name, access FROM connector_scopes WHERE provider_slug = 'shop' ORDER BY position`)).rows;
    repo.write('shop', { secrets: [{ key: 'PROVIDER_SHOP_TOKEN', label: 'Token', optional: true }], scopes: scopes() });
    await sync();
    expect(await access()).toEqual([
      { name: 'read_items', access: null },
      { name: 'refund_orders', access: 'write' },
    ]);
    repo.write('shop', { secrets: [{ key: 'PROVIDER_SHOP_TOKEN', label: 'Token', optional: true }], scopes: scopes('read') });
    const synced = await sync();
    const p = synced.plan.providers[0]!;
    expect(p.scopes.changed).toEqual([
      { before: expect.objectContaining({ name: 'read_items', access: null }), after: expect.objectContaining({ name: 'read_items', access: 'read' }) },
    ]);
    expect(renderPlan(synced.plan)).toContain('~ read_items: access unset -> read');
    expect(await access()).toEqual([
      { name: 'read_items', access: 'read' },
      { name: 'refund_orders', access: 'write' },
    ]);
  });

  it('a catalogue entry removed from the file is retired, not deleted, and comes back when re-added', async () => {
    const original = await import('node:fs').then((fs) => fs.readFileSync(`${repo.root}/pipeline/catalog/core-kpis.yaml`, 'utf8'));
    const withoutGrowth = original.replace(/\n  - id: growth\n(    .*\n)+?(?=  - id:|$)/, '\n');
    expect(withoutGrowth).not.toContain('id: growth');
    repo.writeCatalog('core-kpis.yaml', withoutGrowth);
    const result = await sync();
    expect(result.plan.catalog.core_kpis.removed.map((r) => r.id)).toEqual(['growth']);
    const row = await pool.query(`SELECT retired_at FROM core_kpis WHERE id = 'growth'`);
    expect(row.rows[0].retired_at).not.toBeNull();

    repo.writeCatalog('core-kpis.yaml', original);
    const back = await sync();
    expect(back.plan.catalog.core_kpis.added.map((r) => r.id)).toEqual(['growth']);
    expect((await pool.query(`SELECT retired_at FROM core_kpis WHERE id = 'growth'`)).rows[0].retired_at).toBeNull();
  });
});
