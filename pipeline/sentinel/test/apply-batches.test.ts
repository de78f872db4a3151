/**
 * A sync's rows go in statements of bounded size (json-batches.ts): at 100,000 connectors one JSON
 * array of every manifest exceeded PostgreSQL's jsonb limit. Cut into batches of a few rows, a sync
 * still writes every row exactly once, in its place.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateWithClient } from '../../registry/migrate.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { validateRepo } from '../../validate/repo.ts';
import type { ParsedConnector } from '../../validate/types.ts';
import { applyCatalog, applyProviders, applySourceHashes } from '../apply.ts';
import { sendJsonBatches } from '../json-batches.ts';
import { kpiRows, scopeRows, secretRows } from '../plan.ts';
import { planRegistry } from '../planning.ts';
import { makeRepo, type TestRepo } from './helpers.ts';

describe('sendJsonBatches', () => {
  const batchesOf = async (rows: unknown[], limits: { rows: number; chars: number }) => {
    const sent: unknown[][] = [];
    const count = await sendJsonBatches(rows, limits, async (jsonb) => {
      // jsonb's binary input: the format version, then the text.
      expect(jsonb[0]).toBe(1);
      sent.push(JSON.parse(jsonb.subarray(1).toString('utf8')) as unknown[]);
    });
    return { sent, count };
  };

  it('sends every row once, in order, no batch over its row or size limit', async () => {
    const rows = Array.from({ length: 23 }, (_, i) => ({ i, text: 'x'.repeat(i % 5) }));
    const { sent, count } = await batchesOf(rows, { rows: 4, chars: 60 });
    expect(count).toBe(23);
    expect(sent.flat()).toEqual(rows);
    for (const batch of sent) {
      expect(batch.length).toBeLessThanOrEqual(4);
      expect(JSON.stringify(batch).length).toBeLessThanOrEqual(60 + 2);
    }
    expect(sent.length).toBeGreaterThan(23 / 4);
  });

  it('text beyond ASCII and rows larger than the buffer it starts with arrive intact', async () => {
    const rows = [{ t: 'é "quoted" \\ \n 🔫' }, { t: 'ü'.repeat(100_000) }, { t: '✓' }];
    const { sent } = await batchesOf(rows, { rows: 2, chars: 1_000_000 });
    expect(sent).toEqual([rows.slice(0, 2), rows.slice(2)]);
  });

  it('a row larger than the size limit goes alone; no rows, no statement', async () => {
    const { sent } = await batchesOf([{ a: 1 }, { big: 'y'.repeat(100) }, { b: 2 }], { rows: 10, chars: 30 });
    expect(sent).toEqual([[{ a: 1 }], [{ big: 'y'.repeat(100) }], [{ b: 2 }]]);
    expect((await batchesOf([], { rows: 10, chars: 30 })).sent).toEqual([]);
  });
});

describe.each(testBackends())('a sync applied in batches of a few rows (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;
  const slugs = ['batch_a', 'batch_b', 'batch_c', 'batch_d', 'batch_e'];

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo(slugs);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('writes every provider and every child row exactly once, in its place', async () => {
    const validation = await validateRepo({ repoRoot: repo.root });
    expect(validation.ok).toBe(true);
    const tiny = { providers: { rows: 2, chars: 1_000_000 }, rows: { rows: 3, chars: 1_000_000 } };
    const client = await pool.connect();
    try {
      await migrateWithClient(client);
      await client.query('BEGIN');
      const planned = await planRegistry({ validation, repoRoot: repo.root, read: (fn) => fn(client) });
      if (!planned?.plan) throw new Error('no plan');
      const { plan } = planned;
      await applyCatalog(client, plan);
      await applyProviders(client, plan, tiny);
      expect(await applySourceHashes(client, plan, tiny)).toBe(0);
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    const providers = await pool.query(`SELECT provider_slug, manifest_digest FROM connector_providers ORDER BY 1`);
    const parsed = validation.connectors as ParsedConnector[];
    expect(providers.rows).toEqual(parsed.map((c) => ({ provider_slug: c.slug, manifest_digest: c.digest })));
    for (const c of parsed) {
      const rows = async (sql: string) => (await pool.query(sql, [c.slug])).rows;
      expect(await rows(`SELECT name, description, requires_firearm, firearm_type, access FROM connector_scopes WHERE provider_slug = $1 ORDER BY position`)).toEqual(
        scopeRows(c.manifest),
      );
      expect(await rows(`SELECT raw_metric, core_kpi, aggregation FROM kpi_mappings WHERE provider_slug = $1 ORDER BY position`)).toEqual(kpiRows(c.manifest));
      expect(await rows(`SELECT key_name, label, description, optional FROM connector_secrets WHERE provider_slug = $1 ORDER BY position`)).toEqual(
        secretRows(c.manifest),
      );
    }
    // Positions restart at 0 for each provider, whichever batch its rows fell in.
    const positions = await pool.query(`SELECT provider_slug, array_agg(position ORDER BY position) AS p FROM connector_scopes GROUP BY 1 ORDER BY 1`);
    for (const r of positions.rows) expect(r.p).toEqual([0, 1]);
  });

  it('the registry reads each batch as the rows that were sent, text beyond ASCII included', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => ({ i, t: `${'é'.repeat(i)} "q" \\ 🔫 ${'x'.repeat(i * 10_000)}` }));
    const read: { i: number; t: string }[] = [];
    await sendJsonBatches(rows, { rows: 3, chars: 1_000_000 }, async (jsonb) => {
      const { rows: back } = await pool.query(`SELECT i, t FROM jsonb_to_recordset($1::jsonb) AS r(i int, t text) ORDER BY i`, [jsonb]);
      read.push(...back);
    });
    expect(read).toEqual(rows);
  });
});
