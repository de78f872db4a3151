/**
 * Brings the registry's schema up to date with the plain SQL files in ./migrations, run by
 * node-pg-migrate (each file has `-- Up Migration` and `-- Down Migration` sections).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { isConnectionLost, watchClient } from './pool.ts';
import { runner } from 'node-pg-migrate';
import type { Queryable } from './db.ts';

export const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
export const MIGRATIONS_TABLE = 'pgmigrations';
/** Advisory lock key held while migrating (transaction-scoped). Arbitrary, fixed: "cf-migr". */
const MIGRATE_LOCK = 0x63662d6d;


/** True when the registry tables exist (the first migration ran). */
export async function registryHasSchema(client: Queryable): Promise<boolean> {
  const { rows } = await client.query<{ present: boolean }>(
    `SELECT to_regclass('connector_providers') IS NOT NULL AND to_regclass('registry_syncs') IS NOT NULL AS present`,
  );
  return rows[0]?.present === true;
}

/**
 * Applies pending migrations; a no-op when the schema is current. Safe to call from several
 * processes at once: they serialize on a transaction-scoped advisory lock and the later ones find
 * nothing to do.
 *
 * Why not node-pg-migrate's own lock: it is a session-level `pg_try_advisory_lock` that fails the
 * second caller ("Another migration is already running") instead of waiting, and on the embedded
 * registry every client shares one session, where session locks do not exclude anyone. So we open
 * the transaction ourselves, take `pg_advisory_xact_lock`, and let the runner read the migrations
 * table and apply the files inside it (singleTransaction: its BEGIN is a harmless nested-BEGIN
 * warning and its COMMIT ends our transaction, releasing the lock with the work committed).
 */
export async function migrateRegistry(databaseUrl: string, log?: (line: string) => void): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  watchClient(client); // a lost connection rejects the migration in flight; it must not crash the process
  await client.connect();
  try {
    await migrateWithClient(client, log);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** migrateRegistry on a connection the caller holds (outside any transaction of its own). */
export async function migrateWithClient(client: pg.ClientBase, log?: (line: string) => void): Promise<void> {
  const runnerErrors: string[] = [];
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATE_LOCK]);
    const quiet = () => undefined;
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      count: Infinity,
      noLock: true,
      singleTransaction: true,
      checkOrder: true,
      // Held back until we know why it failed: a lost connection is one line, not the runner's dump.
      logger: { debug: quiet, info: quiet, warn: quiet, error: (msg: string) => void runnerErrors.push(msg) },
    });
    // COMMIT also when nothing ran (the runner may have created its table); a harmless warning
    // when the runner already committed.
    await client.query('COMMIT');
    for (const m of applied) log?.(`migration applied: ${m.name}`);
    // A migration may rebuild connector_list (the site's list read model, paged by index-only
    // scans): VACUUM marks its pages all-visible, which PGlite's missing autovacuum never would.
    // Outside the transaction (VACUUM cannot run in one); a failure costs speed, not correctness.
    if (applied.length > 0) {
      await client.query('VACUUM (ANALYZE) connector_list').catch((e: Error) => log?.(`VACUUM connector_list after the migrations failed: ${e.message}`));
    }
  } catch (err) {
    const rollback = await client.query('ROLLBACK').then(
      () => null,
      (e: unknown) => e,
    );
    // node-pg-migrate wraps a failed statement in a new Error whose message holds the old one's
    // stack, without a cause: the dead connection (ROLLBACK failing on it) says what happened.
    if (isConnectionLost(err) || (rollback !== null && isConnectionLost(rollback))) {
      throw new Error('registry migration failed: the connection to the registry was lost', { cause: isConnectionLost(err) ? err : rollback });
    }
    for (const line of runnerErrors) log?.(line);
    const first = ((err as Error).message ?? String(err)).split('\n')[0];
    throw new Error(`registry migration failed: ${first}`, { cause: err });
  }
}

/** Names of migration files not yet applied (for `plan`, which never writes). */
export async function pendingMigrations(client: Queryable): Promise<string[]> {
  const { readdir } = await import('node:fs/promises');
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  const names = files.map((f) => f.replace(/\.sql$/, ''));
  const { rows: exists } = await client.query<{ present: boolean }>(
    `SELECT to_regclass($1) IS NOT NULL AS present`,
    [MIGRATIONS_TABLE],
  );
  if (!exists[0]?.present) return names;
  const { rows } = await client.query<{ name: string }>(`SELECT name FROM ${MIGRATIONS_TABLE}`);
  const done = new Set(rows.map((r) => r.name));
  return names.filter((n) => !done.has(n));
}
