/**
 * The registry generation (migration 1770163200000_registry-generation.sql): every committed write
 * to any registry table changes it, whoever writes, and it becomes visible exactly with the write.
 * The site's page cache relies on it (site/http/freshness.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateRegistry } from '../migrate.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../testing.ts';

/** The tables DESIGN.md names; any other table in the schema must be tracked as well. */
const NAMED_TABLES = [
  'connector_providers',
  'connector_scopes',
  'kpi_mappings',
  'connector_secrets',
  'firearm_types',
  'core_kpis',
  'registry_syncs',
  'registry_events',
  'firearm_licences',
  'licence_requests',
  'firearm_uses',
];
const UNTRACKED = ['pgmigrations', 'registry_generation', 'registry_generation_pending'];

describe.each(testBackends())('registry generation (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  const generation = async (q: Pick<pg.ClientBase, 'query'> = pool) =>
    Number((await q.query<{ g: string }>('SELECT generation::text AS g FROM registry_generation')).rows[0]!.g);
  const event = (q: Pick<pg.ClientBase, 'query'> = pool) => q.query(`INSERT INTO registry_events (kind, actor) VALUES ('sync', 'test')`);

  beforeAll(async () => {
    db = await freshDatabase(backend);
    await migrateRegistry(db.url);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('every table of the registry carries the generation trigger (a new table must call registry_track_generation)', async () => {
    const { rows } = await pool.query<{ name: string; tracked: boolean }>(
      `SELECT c.relname AS name,
              EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = 'registry_generation') AS tracked
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()`,
    );
    const names = rows.map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(NAMED_TABLES));
    const missing = rows.filter((r) => !r.tracked && !UNTRACKED.includes(r.name)).map((r) => r.name);
    expect(missing, `tables without the registry_generation trigger: ${missing.join(', ')}`).toEqual([]);
  });

  it('a committed write to any registry table moves it; reads do not', async () => {
    const start = await generation();
    await pool.query('SELECT count(*) FROM registry_events');
    expect(await generation()).toBe(start);
    await pool.query(`INSERT INTO firearm_types (id, label, description) VALUES ('CODE_DELETE', 'Delete', 'Deletes')`);
    expect(await generation()).toBe(start + 1);
    await pool.query(`UPDATE firearm_types SET label = 'Delete data' WHERE id = 'CODE_DELETE'`);
    expect(await generation()).toBe(start + 2);
    await event();
    await pool.query(`DELETE FROM registry_events`);
    expect(await generation()).toBe(start + 4);
    await pool.query(`TRUNCATE registry_events CASCADE`);
    expect(await generation()).toBe(start + 5);
  });

  it('a transaction moves it once, at its commit: never before its rows are visible, never for a rollback', async () => {
    const writer = await pool.connect();
    try {
      const before = await generation();
      await writer.query('BEGIN');
      await event(writer);
      await event(writer);
      await writer.query(`INSERT INTO registry_syncs (started_at, actor, outcome, counts) VALUES (now(), 't', 'noop', '{}')`);
      // Inside the writing transaction nothing is bumped yet: the bump runs at commit.
      expect(await generation(writer)).toBe(before);
      await writer.query('COMMIT');
      expect(await generation()).toBe(before + 1);

      await writer.query('BEGIN');
      await event(writer);
      await writer.query('ROLLBACK');
      expect(await generation()).toBe(before + 1);

      // A savepoint rolled back takes its queued bump with it; a later write queues it again.
      await writer.query('BEGIN');
      await writer.query('SAVEPOINT s');
      await event(writer);
      await writer.query('ROLLBACK TO SAVEPOINT s');
      await event(writer);
      await writer.query('COMMIT');
      expect(await generation()).toBe(before + 2);
      expect((await pool.query('SELECT count(*)::int AS n FROM registry_generation_pending')).rows[0].n).toBe(0);
    } finally {
      writer.release();
    }
  });

  // PGlite runs one transaction at a time, so only a real server can show two of them overlapping.
  it.runIf(backend === 'postgres')('another connection sees the old number with the old rows until the commit, and is not blocked by the open writer', async () => {
    const writer = await pool.connect();
    const reader = await pool.connect();
    try {
      const before = await generation(reader);
      await writer.query('BEGIN');
      await event(writer);
      const rowsBefore = (await reader.query('SELECT count(*)::int AS n FROM registry_events')).rows[0].n;
      expect(await generation(reader)).toBe(before);
      // A short write elsewhere commits (and bumps) while the long transaction is still open.
      await event(reader);
      expect(await generation(reader)).toBe(before + 1);
      await writer.query('COMMIT');
      expect(await generation(reader)).toBe(before + 2);
      expect((await reader.query('SELECT count(*)::int AS n FROM registry_events')).rows[0].n).toBe(rowsBefore + 2);
    } finally {
      writer.release();
      reader.release();
    }
  });
});
