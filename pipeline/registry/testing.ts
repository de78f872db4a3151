/**
 * The registry test harness: every registry test runs on each backend in a fresh database.
 *
 *   describe.each(testBackends())('%s', (backend) => {
 *     let db: Awaited<ReturnType<typeof freshDatabase>>;
 *     beforeAll(async () => { db = await freshDatabase(backend); });
 *     afterAll(() => db.drop());
 *   });
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PGLITE_EXTENSIONS } from './pglite-extensions.ts';
import { serveOverWire } from './wire-server.ts';

export type TestBackend = 'pglite' | 'postgres';

export interface FreshDatabase {
  backend: TestBackend;
  /** A connection URL any process can use (children spawned by a test included). */
  url: string;
  /** Stops the server (pglite) or drops the database (postgres). */
  drop(): Promise<void>;
}

/** Embedded PGlite always; the real PostgreSQL too when TEST_DATABASE_URL is set. */
export function testBackends(): TestBackend[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * pglite: an in-memory PGlite served over the wire protocol on a random loopback port, living in
 * this process. postgres: `CREATE DATABASE cf_test_<random>` on the TEST_DATABASE_URL server,
 * dropped WITH (FORCE) so a killed child's connection can't keep it alive.
 */
export async function freshDatabase(backend: TestBackend): Promise<FreshDatabase> {
  if (backend === 'pglite') {
    const db = await newPGlite();
    const server = await serveOverWire(db);
    return {
      backend,
      url: server.url,
      drop: async () => {
        await server.close();
        await db.close();
      },
    };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('freshDatabase("postgres") needs TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test)');
  const name = `cf_test_${randomBytes(6).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    backend,
    url: url.toString(),
    drop: () => withAdmin(adminUrl, (c) => dropDatabase(c, name)),
  };
}

/**
 * A new in-memory PGlite holding a freshly initialised, empty cluster. `PGlite.create()` runs initdb
 * in a second PGlite every time (most of its several seconds); initdb's result is the same each
 * time, so the first create dumps it to node_modules/.cache (per PGlite version; inside the checkout,
 * not the shared temp dir, where another user could plant a cluster of their own) and every later
 * one loads that dump instead: the same empty cluster, about four times faster.
 */
async function newPGlite(): Promise<PGlite> {
  const template = await initdbTemplate();
  if (template) {
    try {
      return await PGlite.create({ extensions: PGLITE_EXTENSIONS, loadDataDir: template });
    } catch {
      templateBlob = undefined; // an unreadable dump (a full disk, say): initdb as before, and write it again
    }
  }
  const db = await PGlite.create({ extensions: PGLITE_EXTENSIONS });
  await saveInitdbTemplate(db);
  return db;
}

let templateBlob: Promise<Blob | undefined> | undefined;

function templateFile(): string {
  // The package does not export its package.json: read it next to its entry point (dist/index.cjs).
  const require = createRequire(import.meta.url);
  const packageDir = path.join(path.dirname(require.resolve('@electric-sql/pglite')), '..');
  const { version } = require(path.join(packageDir, 'package.json')) as { version: string };
  return path.join(packageDir, '..', '..', '.cache', 'connector-factory', `pglite-initdb-${version}.tar`);
}

function initdbTemplate(): Promise<Blob | undefined> {
  templateBlob ??= readFile(templateFile()).then(
    (bytes) => new Blob([bytes]),
    () => undefined,
  );
  return templateBlob;
}

/** Dumps a just-created (untouched) cluster; written under a temp name and renamed, so readers never see half a file. */
async function saveInitdbTemplate(db: PGlite): Promise<void> {
  const dump = await db.dumpDataDir('none');
  const bytes = Buffer.from(await dump.arrayBuffer());
  const file = templateFile();
  const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(partial, bytes, { mode: 0o600 });
    await rename(partial, file);
  } catch {
    // A read-only node_modules or a full disk: the next create runs initdb again, nothing worse.
  }
  templateBlob = Promise.resolve(new Blob([bytes]));
}

/**
 * Drops a test database. Pools a test just ended may still be closing their connections; FORCE
 * would kill those mid-goodbye and their clients would report it as an uncaught error. So give
 * them a moment to leave, then FORCE whatever remains (a killed child's connection, say).
 */
async function dropDatabase(admin: pg.Client, name: string): Promise<void> {
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    const { rows } = await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name]);
    if (rows[0]!.n === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}

async function withAdmin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
