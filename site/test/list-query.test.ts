/**
 * The list's SQL on every backend: each filter selects the right connectors, paging covers every
 * connector once, and a page costs two queries however many rows it shows (no N+1).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../pipeline/registry/testing.ts';
import { migrateRegistry } from '../../pipeline/registry/migrate.ts';
import { PAGE_SIZE, parseListParams } from '../src/lib/list-params.ts';
import { listConnectors } from '../src/lib/queries/list.ts';
import type { Queryable } from '../src/lib/ports.ts';
import { sampleManifest, seedCatalog, seedConnectors } from './helpers/seed.ts';

describe.each(testBackends())('list queries (%s)', (backend) => {
  let database: FreshDatabase;
  let pool: pg.Pool;
  let queries = 0;
  let db: Queryable;
  const list = (qs: string, held: string[] | null = []) => listConnectors(db, parseListParams(new URLSearchParams(qs)), held);
  const slugs = async (qs: string, held: string[] | null = []) => (await list(qs, held)).rows.map((r) => r.provider_slug);

  beforeAll(async () => {
    database = await freshDatabase(backend);
    await migrateRegistry(database.url);
    pool = new pg.Pool({ connectionString: database.url, max: 2 });
    db = { query: (text, values) => (queries++, pool.query(text, values)) as never };
    await seedCatalog(pool);
    const filler = Array.from({ length: 117 }, (_, i) => sampleManifest(`filler_${String(i).padStart(3, '0')}`));
    await seedConnectors(pool, [
      sampleManifest('alpha_ads', { display_name: 'Alpha Ads', auth_mode: 'oauth', secrets: [], scopes: [{ name: 'read', description: 'Read', requires_firearm: false }] }),
      sampleManifest('zeta_pay', { display_name: 'Zeta 100%_Pay' }),
      ...filler,
    ]);
    await pool.query(`UPDATE connector_providers SET status = 'retired', retired_at = now() WHERE provider_slug = 'filler_000'`);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
  });

  it('costs two queries per page, whatever the page size', async () => {
    queries = 0;
    const page = await list('');
    expect(page.rows).toHaveLength(PAGE_SIZE);
    expect(queries).toBe(2);
  });

  it('pages through every connector exactly once, in name order', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) seen.push(...(await slugs(`page=${page}`)));
    expect(seen).toHaveLength(119);
    expect(new Set(seen).size).toBe(119);
    expect(seen[0]).toBe('alpha_ads');
    expect(seen.at(-1)).toBe('zeta_pay');
    expect(await slugs('page=4')).toEqual([]);
  });

  it('counts per status and in total for the filters', async () => {
    const page = await list('');
    expect(page.countsByStatus).toEqual({ draft: 118, approved: 0, changed: 0, retired: 1 });
    expect(page.total).toBe(119);
    expect((await list('status=retired')).total).toBe(1);
    expect(page.lastSynced).toBeInstanceOf(Date);
  });

  it('searches names and slugs, case-insensitively, with % and _ taken literally', async () => {
    expect(await slugs('q=ALPHA')).toEqual(['alpha_ads']);
    expect(await slugs('q=zeta_p')).toEqual(['zeta_pay']);
    expect(await slugs('q=100%_')).toEqual(['zeta_pay']);
    expect(await slugs('q=100%25x')).toEqual([]);
  });

  it('filters by status, auth mode and firearm scopes', async () => {
    expect(await slugs('status=retired')).toEqual(['filler_000']);
    expect(await slugs('auth=oauth')).toEqual(['alpha_ads']);
    expect(await slugs('firearm=no')).toEqual(['alpha_ads']);
    expect((await list('firearm=yes')).total).toBe(118);
  });

  it('"keys missing" uses the names vault-agent holds, and optional keys never count as missing', async () => {
    const held = ['PROVIDER_ZETA_PAY_API_KEY'];
    const missing = await list('missing=1&q=zeta', held);
    expect(missing.rows).toEqual([]);
    const zeta = (await list('q=zeta', held)).rows[0]!;
    expect(zeta).toMatchObject({ keys_declared: 2, keys_set: 1, keys_missing: 0, scopes: 2, firearm_scopes: 1 });
    expect(await slugs('missing=1&q=alpha', held)).toEqual([]); // declares no keys at all
    expect(await slugs('missing=1&q=filler_001', held)).toEqual(['filler_001']);
    // vault-agent down: nothing is known to be set, so every required key counts as missing.
    expect(await slugs('missing=1&q=zeta', null)).toEqual(['zeta_pay']);
  });
});
