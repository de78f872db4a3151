import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { MIGRATIONS_DIR, migrateRegistry, pendingMigrations, registryHasSchema } from '../migrate.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../testing.ts';

/** Every migration file, in order: each applied once, whoever adds the next one. */
const MIGRATION_NAMES = readdirSync(MIGRATIONS_DIR)
  .filter((f) => f.endsWith('.sql'))
  .sort()
  .map((f) => f.replace(/\.sql$/, ''));

describe.each(testBackends())('registry schema (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
  });

  it('several processes migrating at once all succeed and apply each migration once', async () => {
    const client = await pool.connect();
    try {
      expect(await registryHasSchema(client)).toBe(false);
      expect(await pendingMigrations(client)).toEqual(MIGRATION_NAMES);
    } finally {
      client.release();
    }
    await Promise.all([migrateRegistry(db.url), migrateRegistry(db.url), migrateRegistry(db.url)]);
    const { rows } = await pool.query('SELECT name FROM pgmigrations ORDER BY id');
    expect(rows).toEqual(MIGRATION_NAMES.map((name) => ({ name })));
    const again = await pool.connect();
    try {
      expect(await registryHasSchema(again)).toBe(true);
      expect(await pendingMigrations(again)).toEqual([]);
    } finally {
      again.release();
    }
  });

  it('the database refuses a firearm scope without a firearm type, and an unknown type', async () => {
    await pool.query(`INSERT INTO firearm_types (id, label, description) VALUES ('CODE_DELETE', 'Delete', 'Deletes')`);
    await pool.query(
      `INSERT INTO connector_providers (provider_slug, display_name, auth_mode, manifest_path, manifest_digest, manifest)
       VALUES ('acme', 'Acme', 'none', 'connectors/acme/manifest.yaml', 'd', '{}')`,
    );
    const scope = (firearm: boolean, type: string | null) =>
      pool.query(`INSERT INTO connector_scopes (provider_slug, name, description, requires_firearm, firearm_type, position) VALUES ('acme', $1, 'x', $2, $3, 0)`, [
        `s_${firearm}_${type}`,
        firearm,
        type,
      ]);
    await expect(scope(true, null)).rejects.toThrow(/check constraint/);
    await expect(scope(false, 'CODE_DELETE')).rejects.toThrow(/check constraint/);
    await expect(scope(true, 'NO_SUCH_TYPE')).rejects.toThrow(/foreign key/);
    await scope(true, 'CODE_DELETE');
  });

  it('the database refuses a firearm scope marked read, and an access other than read or write', async () => {
    const scope = (name: string, firearm: boolean, access: string | null) =>
      pool.query(
        `INSERT INTO connector_scopes (provider_slug, name, description, requires_firearm, firearm_type, access, position) VALUES ('acme', $1, 'x', $2, $3, $4, 0)`,
        [name, firearm, firearm ? 'CODE_DELETE' : null, access],
      );
    await expect(scope('armed_read', true, 'read')).rejects.toThrow(/connector_scopes_firearm_not_read_check/);
    await expect(scope('odd', false, 'readonly')).rejects.toThrow(/connector_scopes_access_check/);
    await scope('armed_write', true, 'write');
    await scope('armed_unset', true, null);
    await scope('plain_read', false, 'read');
    await scope('plain_unset', false, null);
  });

  it('the database refuses an approved status whose approved digest is not the manifest digest', async () => {
    await expect(pool.query(`UPDATE connector_providers SET status = 'approved', approved_digest = 'other' WHERE provider_slug = 'acme'`)).rejects.toThrow(
      /check constraint/,
    );
    await expect(pool.query(`UPDATE connector_providers SET status = 'retired' WHERE provider_slug = 'acme'`)).rejects.toThrow(/check constraint/);
  });
});
