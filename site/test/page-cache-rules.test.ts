/**
 * The page cache's rules as pure functions: which requests may be cached, when an entry stops
 * being served, its bounds, and that a freshness reading is never shared with a request that
 * arrived after the reading started.
 */
import { describe, expect, it } from 'vitest';
import { coalesceAfterArrival } from '../http/coalesce.ts';
import { PageCache, cacheKeyFor, type CachedPage } from '../http/page-cache.ts';
import { testBackends, freshDatabase } from '../../pipeline/registry/testing.ts';
import { migrateRegistry } from '../../pipeline/registry/migrate.ts';
import { readRegistryGeneration } from '../http/freshness.ts';
import pg from 'pg';

const html = (text: string, status = 200): CachedPage => ({
  status,
  headers: { 'content-type': 'text/html' },
  body: Buffer.from(text),
});

describe('which requests the page cache may answer', () => {
  it('takes the list with its filters, /syncs with its cursor and a detail page without a query', () => {
    expect(cacheKeyFor('GET', '127.0.0.1:1', '/')).toBe('127.0.0.1:1 /');
    expect(cacheKeyFor('GET', '127.0.0.1:1', '/?q=shop&status=draft&auth=byok&firearm=yes&missing=1&page=2')).not.toBeNull();
    expect(cacheKeyFor('GET', '127.0.0.1:1', '/syncs?before=12')).not.toBeNull();
    expect(cacheKeyFor('GET', '127.0.0.1:1', '/activity?connector=acme_shop&kind=sync&before=40')).not.toBeNull();
    expect(cacheKeyFor('GET', '127.0.0.1:1', '/connectors/acme_shop')).not.toBeNull();
  });

  it('refuses flash parameters, unknown parameters, other methods, other paths and long URLs', () => {
    for (const url of ['/connectors/acme_shop?set=KEY', '/connectors/acme_shop?approved=1', '/connectors/acme_shop?error=x&key=K', '/?error=x', '/?kpi_approved=orders', '/syncs?on=kpis', '/activity?set=KEY', '/api/connectors/a/approve', '/favicon.svg', `/?q=${'a'.repeat(2000)}`]) {
      expect(cacheKeyFor('GET', '127.0.0.1:1', url), url).toBeNull();
    }
    for (const method of ['POST', 'HEAD', 'PUT']) expect(cacheKeyFor(method, '127.0.0.1:1', '/')).toBeNull();
  });
});

describe('PageCache', () => {
  it('serves an entry only for the same stamp, the same epoch and within maxAgeMs', () => {
    let now = 1000;
    const cache = new PageCache({ maxAgeMs: 3000 }, () => now);
    cache.set('k', 's1', 0, html('a'));
    expect(cache.get('k', 's1', 0)?.body.toString()).toBe('a');
    expect(cache.get('k', 's2', 0)).toBeNull();
    now += 3001;
    expect(cache.get('k', 's1', 0)).toBeNull();
  });

  it('forgets everything when the site writes, and drops a page rendered across that write', () => {
    const cache = new PageCache();
    cache.set('k', 's', cache.epoch, html('a'));
    const arrivedAt = cache.epoch;
    cache.invalidate();
    expect(cache.get('k', 's', cache.epoch)).toBeNull();
    cache.set('k', 's', arrivedAt, html('rendered during the write'));
    expect(cache.stats().entries).toBe(0);
  });

  it('keeps only 200 text/html pages without cookies', () => {
    const cache = new PageCache();
    cache.set('a', 's', 0, html('gone', 404));
    cache.set('b', 's', 0, { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{}') });
    cache.set('c', 's', 0, { status: 200, headers: { 'content-type': 'text/html', 'set-cookie': 'a=b' }, body: Buffer.from('x') });
    expect(cache.stats().entries).toBe(0);
  });

  it('is bounded in entries and bytes, dropping the least recently used first', () => {
    const cache = new PageCache({ maxEntries: 2, maxBytes: 10 });
    cache.set('a', 's', 0, html('aaaa'));
    cache.set('b', 's', 0, html('bbbb'));
    cache.get('a', 's', 0); // a is now the most recently used
    cache.set('c', 's', 0, html('cccc'));
    expect([cache.get('a', 's', 0) !== null, cache.get('b', 's', 0) !== null, cache.get('c', 's', 0) !== null]).toEqual([true, false, true]);
    cache.set('d', 's', 0, html('dddddddd'));
    expect(cache.stats().bytes).toBeLessThanOrEqual(10);
    cache.set('huge', 's', 0, html('x'.repeat(11)));
    expect(cache.get('huge', 's', 0)).toBeNull();
  });

  it('refuses an age that would outlive relative times or a CSRF token', () => {
    expect(() => new PageCache({ maxAgeMs: 120_000 })).toThrow(/maxAgeMs/);
  });
});

describe('coalesceAfterArrival', () => {
  const turn = () => new Promise((r) => setImmediate(r));

  it('shares a run among callers of one turn, and never with a caller that came after it started', async () => {
    const runs: { resolve: (n: number) => void }[] = [];
    const read = coalesceAfterArrival(() => new Promise<number>((resolve) => runs.push({ resolve })), 1);
    const a = read();
    const b = read(); // same turn, run not started yet: shared
    await turn();
    expect(runs).toHaveLength(1);
    const c = read(); // run 1 is under way: c must get a later run
    const d = read();
    await turn();
    expect(runs).toHaveLength(1); // one run at a time here: c and d wait for the slot
    runs[0]!.resolve(1);
    expect([await a, await b]).toEqual([1, 1]);
    await turn();
    expect(runs).toHaveLength(2);
    runs[1]!.resolve(2);
    expect([await c, await d]).toEqual([2, 2]);
  });

  it('overlaps up to maxInFlight runs', async () => {
    const runs: { resolve: (n: number) => void }[] = [];
    const read = coalesceAfterArrival(() => new Promise<number>((resolve) => runs.push({ resolve })), 2);
    const a = read();
    await turn();
    const b = read();
    await turn();
    const c = read();
    await turn();
    expect(runs).toHaveLength(2);
    runs[0]!.resolve(1);
    await a;
    await turn();
    await turn();
    expect(runs).toHaveLength(3);
    runs[1]!.resolve(2);
    runs[2]!.resolve(3);
    expect([await a, await b, await c]).toEqual([1, 2, 3]);
  });

  it('a failed run fails its callers only; the next caller gets a new run', async () => {
    let n = 0;
    const read = coalesceAfterArrival(async () => {
      n++;
      if (n === 1) throw new Error('registry down');
      return n;
    });
    await expect(read()).rejects.toThrow('registry down');
    expect(await read()).toBe(2);
  });
});

describe.each(testBackends())('registry generation (%s)', (backend) => {
  it('changes when a row with a lower id commits after a higher one', async () => {
    const database = await freshDatabase(backend);
    await migrateRegistry(database.url);
    const db = new pg.Pool({ connectionString: database.url, max: 1 });
    try {
      const empty = await readRegistryGeneration(db);
      await db.query(`INSERT INTO registry_events (id, kind, actor) VALUES (100, 'sync', 't')`);
      const one = await readRegistryGeneration(db);
      expect(one).not.toBe(empty);
      // Drawn before id 100 but committed after it: max(id) alone would not see it.
      await db.query(`INSERT INTO registry_events (id, kind, actor) VALUES (90, 'sync', 't')`);
      expect(await readRegistryGeneration(db)).not.toBe(one);
      const before = await readRegistryGeneration(db);
      await db.query(`INSERT INTO registry_syncs (id, started_at, actor, outcome, counts) VALUES (7, now(), 't', 'noop', '{}')`);
      expect(await readRegistryGeneration(db)).not.toBe(before);
      expect(await readRegistryGeneration(db)).toBe(await readRegistryGeneration(db));
    } finally {
      await db.end();
      await database.drop();
    }
  });
});
