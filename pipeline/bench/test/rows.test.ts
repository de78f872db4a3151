import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateRegistry } from '../../registry/migrate.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { canonicalJson } from '../../schema/digest.ts';
import { runSync } from '../../sentinel/index.ts';
import { generateRepo, type GeneratedTree } from '../generate.ts';
import { registryRows, toCsv, type TableRows } from '../rows.ts';

let dir: string;
let tree: GeneratedTree;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cf-bench-rows-'));
  tree = await generateRepo({ dir, connectors: 12 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A table's rows as sorted JSON lines of the given columns, so two sources compare as sets. */
async function tableLines(client: pg.Client, t: TableRows): Promise<string[]> {
  const { rows } = await client.query<Record<string, unknown>>(`SELECT ${t.columns.join(', ')} FROM ${t.table}`);
  return rows.map((r) => canonicalJson(t.columns.map((c) => r[c]))).sort();
}
const expectedLines = (t: TableRows) =>
  t.rows.map((r) => canonicalJson(r.map((v, i) => (t.columns[i] === 'manifest' ? JSON.parse(v as string) : v)))).sort();
/** What one side has that the other lacks, cut short: a readable failure instead of two walls of JSON. */
const difference = (a: string[], b: string[]) => {
  const [inA, inB] = [new Set(a), new Set(b)];
  const cut = (l: string) => (l.length > 400 ? `${l.slice(0, 400)}…` : l);
  return { only_in_registry: a.filter((l) => !inB.has(l)).slice(0, 2).map(cut), only_in_bench_rows: b.filter((l) => !inA.has(l)).slice(0, 2).map(cut) };
};

describe.each(testBackends())('on %s, the floors write the rows a real sync writes', (backend) => {
  let db: FreshDatabase;
  let client: pg.Client;
  beforeAll(async () => {
    db = await freshDatabase(backend);
    await migrateRegistry(db.url);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await db.drop();
  });

  it('registryRows of the generated manifests equal what runSync leaves in every table', async () => {
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    try {
      const { validation } = await runSync({ db: pool, repoRoot: tree.repoRoot, actor: 'bench test' });
      expect(validation.ok).toBe(true);
    } finally {
      await pool.end();
    }
    const entries = tree.slugs.map((_, i) => ({ manifest: tree.manifest(i), file: tree.manifestFile(i) }));
    for (const t of registryRows(tree.catalog, entries)) {
      const [actual, expected] = [await tableLines(client, t), expectedLines(t)];
      expect.soft(difference(actual, expected), t.table).toEqual({ only_in_registry: [], only_in_bench_rows: [] });
      expect.soft(actual.length, t.table).toBe(expected.length);
    }
  });
});

describe('the COPY payload', () => {
  it('quotes every value, doubles quotes inside, and leaves NULL as an empty unquoted field', () => {
    expect(toCsv([['a "b"', null, 3, true], ['x,y', '', 0, false]])).toBe('"a ""b""",,"3","true"\n"x,y","","0","false"\n');
  });
});
