/**
 * A key name belongs to one connector in the database, for good (migration
 * 1769990400000_unique-secret-keys): whoever writes connector_secrets, a name another connector
 * declared (even one it removed since, or a retired connector's tombstone) is refused. On every
 * backend, in a fresh database.
 */
import { readdirSync } from 'node:fs';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, MIGRATIONS_TABLE, migrateRegistry } from '../migrate.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../testing.ts';

const MIGRATION = '1769990400000_unique-secret-keys';
const KEY = 'PROVIDER_DUMMY_SERVICE_API_KEY';


const provider = (pool: pg.Pool, slug: string, status: 'draft' | 'retired' = 'draft') =>
  pool.query(
    `INSERT INTO connector_providers (provider_slug, display_name, auth_mode, manifest_path, manifest_digest, manifest, status, retired_at)
     VALUES ($1, $1, 'byok', 'connectors/' || $1 || '/manifest.yaml', 'd', '{}', $2, CASE WHEN $2 = 'retired' THEN now() END)`,
    [slug, status],
  );
const declare = (pool: pg.Pool, slug: string, key: string, label = 'API key') =>
  pool.query(`INSERT INTO connector_secrets (provider_slug, key_name, label, position) VALUES ($1, $2, $3, 0)`, [slug, key, label]);
const owner = async (pool: pg.Pool, key: string) =>
  (await pool.query<{ provider_slug: string }>(`SELECT provider_slug FROM secret_key_owners WHERE key_name = $1`, [key])).rows[0]?.provider_slug;

describe.each(testBackends())('secret key owners (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;

  describe('after the migration', () => {
    beforeAll(async () => {
      db = await freshDatabase(backend);
      await migrateRegistry(db.url);
      pool = new pg.Pool({ connectionString: db.url, max: 2 });
    });
    afterAll(async () => {
      await pool.end();
      await db.drop();
    });
    // Each test gets its own pair of connectors (one database for the block: fresh ones are slow).
    let n = 0;
    let first: string;
    let second: string;
    let key: string;
    beforeEach(async () => {
      n++;
      first = `svc${n}`;
      second = `svc${n}_api`;
      key = `PROVIDER_SVC${n}_API_KEY`; // fits both prefixes
      await provider(pool, first);
      await provider(pool, second);
      await declare(pool, first, key);
    });

    it('the first connector to declare a name owns it, and a second connector is refused with both named', async () => {
      expect(await owner(pool, key)).toBe(first);
      const refused = declare(pool, second, key);
      await expect(refused).rejects.toThrow(`the key name ${key} belongs to connector ${first}, so connector ${second} cannot declare it`);
      await expect(declare(pool, second, key)).rejects.toMatchObject({ code: '23505' });
    });

    it('a name stays with its connector after the connector removes the key', async () => {
      await pool.query(`DELETE FROM connector_secrets WHERE provider_slug = $1`, [first]);
      await expect(declare(pool, second, key)).rejects.toThrow(`belongs to connector ${first},`);
      // ...and the owner may declare it again.
      await declare(pool, first, key);
    });

    it('a retired connector keeps its names: a new connector cannot claim them', async () => {
      await pool.query(`UPDATE connector_providers SET status = 'retired', retired_at = now() WHERE provider_slug = $1`, [first]);
      await provider(pool, `${second}_v2`);
      await expect(declare(pool, `${second}_v2`, key)).rejects.toThrow(`belongs to connector ${first},`);
    });

    it('the owner can update its own rows, in the set-based upsert the sentinel uses', async () => {
      await pool.query(
        `INSERT INTO connector_secrets AS s (provider_slug, key_name, label, position) VALUES ($1, $2, 'Renamed', 0)
         ON CONFLICT (provider_slug, key_name) DO UPDATE SET label = EXCLUDED.label`,
        [first, key],
      );
      const { rows } = await pool.query(`SELECT label FROM connector_secrets WHERE key_name = $1`, [key]);
      expect(rows).toEqual([{ label: 'Renamed' }]);
    });

    it('one statement declaring a new name for two connectors is refused as a whole', async () => {
      const token = `PROVIDER_SVC${n}_API_TOKEN`;
      const both = pool.query(
        `INSERT INTO connector_secrets (provider_slug, key_name, label, position) VALUES ($1, $3, 'a', 1), ($2, $3, 'b', 1)`,
        [first, second, token],
      );
      await expect(both).rejects.toThrow(/cannot declare it/);
      expect(await owner(pool, token)).toBeUndefined();
    });

    it('moving a row to another connector by UPDATE is refused too', async () => {
      await expect(pool.query(`UPDATE connector_secrets SET provider_slug = $1 WHERE key_name = $2`, [second, key])).rejects.toThrow(`belongs to connector ${first},`);
    });
  });

  describe('on a registry that already shares a name', () => {
    beforeAll(async () => {
      db = await freshDatabase(backend);
      pool = new pg.Pool({ connectionString: db.url, max: 2 });
      // Every migration before this one, then the state the old rules allowed.
      const before = readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort().map((f) => f.replace(/\.sql$/, '')).indexOf(MIGRATION);
      const client = await pool.connect();
      try {
        await runner({ dbClient: client, dir: MIGRATIONS_DIR, migrationsTable: MIGRATIONS_TABLE, direction: 'up', count: before, noLock: true, checkOrder: true, log: () => undefined });
      } finally {
        client.release();
      }
      await provider(pool, 'dummy_service');
      await provider(pool, 'dummy_service_api');
      await pool.query(`INSERT INTO connector_secrets (provider_slug, key_name, label, position, created_at) VALUES ('dummy_service', $1, 'first', 0, now() - interval '1 day')`, [KEY]);
      await declare(pool, 'dummy_service_api', KEY, 'second');
      await migrateRegistry(db.url);
    });
    afterAll(async () => {
      await pool.end();
      await db.drop();
    });

    it('migrates, giving the name to the connector that declared it first and keeping both rows', async () => {
      expect(await owner(pool, KEY)).toBe('dummy_service');
      const { rows } = await pool.query(`SELECT provider_slug FROM connector_secrets WHERE key_name = $1 ORDER BY provider_slug`, [KEY]);
      expect(rows.map((r) => r.provider_slug)).toEqual(['dummy_service', 'dummy_service_api']);
    });

    it('refuses any write that would renew the later connector\'s row', async () => {
      await expect(pool.query(`UPDATE connector_secrets SET label = 'x' WHERE provider_slug = 'dummy_service_api'`)).rejects.toThrow(/belongs to connector dummy_service/);
      await pool.query(`UPDATE connector_secrets SET label = 'still first' WHERE provider_slug = 'dummy_service'`);
    });
  });
});
