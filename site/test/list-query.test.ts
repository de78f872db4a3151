/**
 * The list's SQL on every backend: each filter selects the right connectors, every order pages
 * through every connector once (the far pages are read from the other end of the index), counts
 * come from the counts table and agree with the rows, a page past the last reads no rows, and the
 * read model (connector_list, connector_list_counts) stays equal to the tables it is made from,
 * whatever writes them.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../pipeline/registry/testing.ts';
import { migrateRegistry } from '../../pipeline/registry/migrate.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { PAGE_SIZE, SORTS, parseListParams } from '../src/lib/list-params.ts';
import { listConnectors } from '../src/lib/queries/list.ts';
import type { Queryable } from '../src/lib/ports.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

/** What connector_list should hold, computed from the tables; and its differences from what it holds. */
const READ_MODEL_DRIFT = `
  WITH expected AS (
    SELECT p.provider_slug, p.display_name, p.status, p.auth_mode, p.updated_at,
           coalesce(s.n, 0)::int AS scopes, coalesce(s.f, 0)::int AS firearm_scopes,
           coalesce(k.n, 0)::int AS keys_declared, coalesce(k.r, 0)::int AS keys_required
      FROM connector_providers p
      LEFT JOIN (SELECT provider_slug, count(*) n, count(*) FILTER (WHERE requires_firearm) f FROM connector_scopes GROUP BY 1) s USING (provider_slug)
      LEFT JOIN (SELECT provider_slug, count(*) n, count(*) FILTER (WHERE NOT optional) r FROM connector_secrets GROUP BY 1) k USING (provider_slug)),
  actual AS (SELECT provider_slug, display_name, status, auth_mode, updated_at, scopes, firearm_scopes, keys_declared, keys_required FROM connector_list),
  groups AS (SELECT status, auth_mode, firearm_scopes > 0 AS f, keys_required > 0 AS r, count(*)::bigint AS n FROM expected GROUP BY 1, 2, 3, 4),
  counted AS (SELECT status, auth_mode, has_firearm AS f, has_required_keys AS r, connectors AS n FROM connector_list_counts WHERE connectors > 0)
  SELECT
    (SELECT count(*)::int FROM ((SELECT * FROM expected EXCEPT SELECT * FROM actual) UNION ALL (SELECT * FROM actual EXCEPT SELECT * FROM expected)) d) AS rows,
    (SELECT count(*)::int FROM ((SELECT * FROM groups EXCEPT SELECT * FROM counted) UNION ALL (SELECT * FROM counted EXCEPT SELECT * FROM groups)) d) AS counts,
    (SELECT count(*)::int FROM connector_list_pending) + (SELECT count(*)::int FROM connector_list_commit) AS pending,
    (SELECT count(*)::int FROM connector_list) AS listed`;

describe.each(testBackends())('list queries (%s)', (backend) => {
  let database: FreshDatabase;
  let pool: pg.Pool;
  let queries = 0;
  let db: Queryable;
  const list = (qs: string, held: string[] | null = []) => listConnectors(db, parseListParams(new URLSearchParams(qs)), held);
  const slugs = async (qs: string, held: string[] | null = []) => (await list(qs, held)).rows.map((r) => r.provider_slug);
  /** Every page of a view, one after another. */
  const allPages = async (qs: string) => {
    const first = await list(qs);
    const seen = first.rows.map((r) => r.provider_slug);
    for (let page = 2; page <= first.pages; page++) seen.push(...(await slugs(`${qs}&page=${page}`)));
    return seen;
  };
  const drift = async () => (await pool.query(READ_MODEL_DRIFT)).rows[0] as { rows: number; counts: number; pending: number; listed: number };

  beforeAll(async () => {
    database = await freshDatabase(backend);
    await migrateRegistry(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = { query: (text, values) => (queries++, pool.query(text, values)) as never };
    await seedCatalog(pool);
    const filler = Array.from({ length: 117 }, (_, i) => testManifest(`filler_${String(i).padStart(3, '0')}`));
    await seedConnectors(pool, [
      testManifest('alpha_ads', { display_name: 'Alpha Ads', auth_mode: 'oauth', secrets: [], scopes: [{ name: 'read', description: 'Read', requires_firearm: false }] }),
      testManifest('zeta_pay', { display_name: 'Zeta 100%_Pay' }),
      testManifest('acme_ads_5824', { display_name: 'Acme Ads 5824' }),
      testManifest('acme_ads_64', { display_name: 'Acme Ads 64' }),
      testManifest('acme_ads_7', { display_name: 'acme ads 7' }),
      ...filler,
    ]);
    await pool.query(`UPDATE connector_providers SET status = 'retired', retired_at = now() WHERE provider_slug = 'filler_000'`);
    // Distinct update times, so the "updated" order is the slugs' order backwards.
    await pool.query(`UPDATE connector_providers SET updated_at = timestamptz '2026-01-01' - (ascii(substr(provider_slug, 1, 1)) * interval '1 day') - (length(provider_slug) * interval '1 hour')`);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('costs two queries per page, whatever the page size, and one for a page past the last', async () => {
    queries = 0;
    const page = await list('');
    expect(page.rows).toHaveLength(PAGE_SIZE);
    expect(queries).toBe(2);
    queries = 0;
    await list('page=99');
    expect(queries).toBe(1);
  });

  it('pages through every connector exactly once, names in natural order (64 before 5824)', async () => {
    const seen = await allPages('');
    expect(seen).toHaveLength(122);
    expect(new Set(seen).size).toBe(122);
    expect(seen.slice(0, 4)).toEqual(['acme_ads_7', 'acme_ads_64', 'acme_ads_5824', 'alpha_ads']);
    expect(seen.at(-1)).toBe('zeta_pay');
    expect(seen.slice(4, -1)).toEqual([...seen.slice(4, -1)].sort());
  });

  it('says a page past the last is out of range and reads no rows; an empty result is not out of range', async () => {
    const past = await list('page=4');
    expect(past).toMatchObject({ rows: [], total: 122, pages: 3, outOfRange: true });
    const empty = await list('q=nothing_like_this&page=3');
    expect(empty).toMatchObject({ rows: [], total: 0, pages: 1, outOfRange: false });
  });

  it.each(SORTS.flatMap((sort) => (['asc', 'desc'] as const).map((dir) => [sort, dir] as const)))(
    'sort=%s dir=%s: every page in order, the far pages read from the other end agreeing with the near ones',
    async (sort, dir) => {
      const seen = await allPages(`sort=${sort}&dir=${dir}`);
      const { rows } = await pool.query<{ provider_slug: string }>(
        `SELECT provider_slug FROM connector_list l ORDER BY ${{ name: 'sort_key', status: 'status, sort_key', auth: 'auth_mode, sort_key', updated: 'updated_at' }[sort]
          .split(', ')
          .map((c) => `${c} ${dir}`)
          .join(', ')}, provider_slug ${dir}`,
      );
      expect(seen).toEqual(rows.map((r) => r.provider_slug));
    },
  );

  it('counts per status and in total for the filters, from the counts table', async () => {
    const page = await list('');
    expect(page.countsByStatus).toEqual({ draft: 121, approved: 0, changed: 0, retired: 1 });
    expect(page.total).toBe(122);
    expect((await list('status=retired')).total).toBe(1);
    expect(page.lastSynced).toBeInstanceOf(Date);
    expect((await list('auth=oauth')).countsByStatus).toEqual({ draft: 1, approved: 0, changed: 0, retired: 0 });
    expect((await list('firearm=yes')).countsByStatus).toEqual({ draft: 120, approved: 0, changed: 0, retired: 1 });
    expect((await list('missing=1', ['PROVIDER_ZETA_PAY_API_KEY'])).countsByStatus).toEqual({ draft: 119, approved: 0, changed: 0, retired: 1 });
  });

  it('searches names and slugs, case-insensitively, with % and _ taken literally, never across name and slug', async () => {
    expect(await slugs('q=ALPHA')).toEqual(['alpha_ads']);
    expect(await slugs('q=zeta_p')).toEqual(['zeta_pay']);
    expect(await slugs('q=100%_')).toEqual(['zeta_pay']);
    expect(await slugs('q=100%25x')).toEqual([]);
    expect(await slugs('q=ads 58')).toEqual(['acme_ads_5824']);
    expect(await slugs('q=ads alpha')).toEqual([]); // "Alpha Ads" + "alpha_ads"
    expect(await slugs('q=ads%0Aalpha')).toEqual([]); // the newline between them is not searchable
    expect((await list('q=acme')).countsByStatus.draft).toBe(3);
  });

  it('filters by status, auth mode and firearm scopes', async () => {
    expect(await slugs('status=retired')).toEqual(['filler_000']);
    expect(await slugs('auth=oauth')).toEqual(['alpha_ads']);
    expect(await slugs('firearm=no')).toEqual(['alpha_ads']);
    expect((await list('firearm=yes')).total).toBe(121);
    expect(await slugs('status=retired&sort=updated')).toEqual(['filler_000']);
  });

  it('"keys missing" uses the names vault-agent holds, and optional keys never count as missing', async () => {
    const held = ['PROVIDER_ZETA_PAY_API_KEY'];
    const missing = await list('missing=1&q=zeta', held);
    expect(missing.rows).toEqual([]);
    expect((await list('missing=1', held)).total).toBe(120);
    expect(await slugs('missing=1', held)).not.toContain('zeta_pay');
    const zeta = (await list('q=zeta', held)).rows[0]!;
    expect(zeta).toMatchObject({ keys_declared: 2, keys_set: 1, keys_missing: 0, scopes: 2, firearm_scopes: 1 });
    expect(await slugs('missing=1&q=alpha', held)).toEqual([]); // declares no keys at all
    expect(await slugs('missing=1&q=filler_001', held)).toEqual(['filler_001']);
    // vault-agent down: nothing is known to be set, so every required key counts as missing.
    expect(await slugs('missing=1&q=zeta', null)).toEqual(['zeta_pay']);
  });

  it('the read model stays equal to its tables through every kind of write, and a rolled-back write leaves nothing behind', async () => {
    expect(await drift()).toEqual({ rows: 0, counts: 0, pending: 0, listed: 122 });
    // An approval (status), a removed firearm scope, a key made optional, a renamed connector.
    await pool.query(`UPDATE connector_providers SET status = 'approved', approved_digest = manifest_digest, approved_at = now(), approved_by = 't' WHERE provider_slug IN ('filler_001', 'filler_002')`);
    await pool.query(`DELETE FROM connector_scopes WHERE provider_slug = 'filler_003' AND requires_firearm`);
    await pool.query(`UPDATE connector_secrets SET optional = true WHERE provider_slug = 'filler_004'`);
    await pool.query(`UPDATE connector_providers SET display_name = 'Filler 5 Renamed', updated_at = now() WHERE provider_slug = 'filler_005'`);
    // A new connector with its child rows in one transaction, a deleted one (its children cascade).
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await seedConnectors(client, [testManifest('new_one', { display_name: 'New One 2' })]);
      // Many statements, one commit step: the work waits, queued per statement, for one trigger.
      for (let i = 0; i < 40; i++) await client.query(`UPDATE connector_providers SET updated_at = now() + ${i} * interval '1 second' WHERE provider_slug = 'new_one'`);
      expect((await client.query('SELECT count(*)::int AS n FROM connector_list_pending')).rows[0].n).toBeGreaterThan(40);
      expect((await client.query('SELECT count(*)::int AS n FROM connector_list_commit')).rows[0].n).toBe(1);
      await client.query('COMMIT');
      await client.query('BEGIN');
      await client.query(`DELETE FROM connector_providers WHERE provider_slug = 'new_one'`);
      await client.query('ROLLBACK');
    } finally {
      client.release();
    }
    await pool.query(`DELETE FROM connector_providers WHERE provider_slug = 'filler_006'`);
    // Bookkeeping that shows nowhere in the list changes no list row.
    const before = await pool.query(`SELECT xmin::text AS x FROM connector_list ORDER BY provider_slug`);
    await pool.query(`UPDATE connector_providers SET source_sha256 = repeat('b', 64)`);
    await pool.query(`UPDATE connector_scopes SET description = description || '.'`);
    expect((await pool.query(`SELECT xmin::text AS x FROM connector_list ORDER BY provider_slug`)).rows).toEqual(before.rows);

    expect(await drift()).toEqual({ rows: 0, counts: 0, pending: 0, listed: 122 });
    expect(await slugs('q=renamed')).toEqual(['filler_005']);
    expect((await list('q=new one')).rows).toMatchObject([{ provider_slug: 'new_one', scopes: 2, firearm_scopes: 1, keys_declared: 2 }]);
    expect((await list('')).countsByStatus).toEqual({ draft: 119, approved: 2, changed: 0, retired: 1 });
    expect((await list('q=filler_004')).rows[0]).toMatchObject({ keys_declared: 2, keys_missing: 0 });
    expect(await slugs('missing=1&q=filler_004')).toEqual([]);
  });

  // PGlite runs one transaction at a time: only a real server has two writers at once.
  it.runIf(backend === 'postgres')('an approval commits while a sync holds its writes open (the counts are folded at commit), and both add up', async () => {
    // Connections of their own: the pool's two serve list().
    const sync = new pg.Client({ connectionString: database.url });
    const site = new pg.Client({ connectionString: database.url });
    await sync.connect();
    await site.connect();
    try {
      await site.query(`SET lock_timeout = '3s'`); // blocked would fail here, not hang
      await sync.query('BEGIN');
      await sync.query(`UPDATE connector_providers SET status = 'retired', retired_at = now(), updated_at = now() WHERE provider_slug IN ('filler_010', 'filler_011')`);
      await site.query(
        `UPDATE connector_providers SET status = 'approved', approved_digest = manifest_digest, approved_at = now(), approved_by = 't' WHERE provider_slug = 'filler_012'`,
      );
      expect((await list('')).countsByStatus).toEqual({ draft: 118, approved: 3, changed: 0, retired: 1 });
      await sync.query('COMMIT');
    } finally {
      await sync.end();
      await site.end();
    }
    expect((await list('')).countsByStatus).toEqual({ draft: 116, approved: 3, changed: 0, retired: 3 });
    expect(await drift()).toEqual({ rows: 0, counts: 0, pending: 0, listed: 122 });
  });
});
