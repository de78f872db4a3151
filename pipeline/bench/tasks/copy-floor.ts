/**
 * sync_floor_s: reading the manifest files plus one COPY per table of the same rows a cold sync
 * writes, in one transaction, into the same (migrated, empty) tables of a fresh database.
 * The rows are built before the clock starts: the floor is the I/O and the bulk load only.
 *
 * On real PostgreSQL the COPY goes over the wire (COPY FROM STDIN). PGlite's wire server cannot
 * take COPY FROM STDIN (electric-sql/pglite#1028 is open), so on the embedded registry the floor
 * opens its own PGlite, persisted the way pipeline/registry/embedded.ts does it, and COPYs
 * in-process from a blob; that skips the wire, which only makes the floor lower (stricter).
 */
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction } from '../../registry/db.ts';
import { loadCatalog } from '../generate.ts';
import { readManifests, secondsSince } from '../files.ts';
import { copyStatement, countRows, registryRows, toCsv, type TableRows } from '../rows.ts';
import { syntheticManifest } from '../synthetic.ts';

export interface CopyFloorInput {
  repoRoot: string;
  seed: number;
  connectors: number;
  /** Real PostgreSQL: a fresh, migrated, empty database. */
  databaseUrl?: string;
  /** Embedded: an empty directory for the floor's own PGlite data dir. */
  dataDir?: string;
}

export interface CopyFloorOutcome {
  seconds: number;
  rows: number;
}

export async function copyFloorTask(input: CopyFloorInput): Promise<CopyFloorOutcome> {
  const catalog = await loadCatalog(path.join(input.repoRoot, 'pipeline/catalog'));
  const entries = Array.from({ length: input.connectors }, (_, i) => {
    const manifest = syntheticManifest(i, input.seed, catalog);
    return { manifest, file: `connectors/${manifest.provider_slug}/manifest.yaml` };
  });
  const tables = registryRows(catalog, entries).map((t) => ({ table: t, csv: toCsv(t.rows) }));
  const rows = countRows(tables.map((t) => t.table));
  if (input.databaseUrl) return { seconds: await overWire(input, input.databaseUrl, tables), rows };
  if (input.dataDir) return { seconds: await inPglite(input, input.dataDir, tables), rows };
  throw new Error('copy-floor needs databaseUrl (PostgreSQL) or dataDir (embedded)');
}

async function overWire(input: CopyFloorInput, url: string, tables: { table: TableRows; csv: string }[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const start = performance.now();
    await readManifests(input.repoRoot, 'manifest.yaml');
    await inTransaction(client, async (tx) => {
      for (const { table, csv } of tables) {
        await pipeline(Readable.from([csv]), tx.query(copyFrom(copyStatement(table, 'STDIN'))));
      }
    });
    return secondsSince(start);
  } finally {
    await client.end();
  }
}

async function inPglite(input: CopyFloorInput, dataDir: string, tables: { table: TableRows; csv: string }[]): Promise<number> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { serveOverWire } = await import('../../registry/wire-server.ts');
  const { migrateRegistry } = await import('../../registry/migrate.ts');
  const { PGLITE_EXTENSIONS } = await import('../../registry/pglite-extensions.ts');
  const db = await PGlite.create(path.join(dataDir, 'registry'), { extensions: PGLITE_EXTENSIONS });
  try {
    // The same migrations through the same runner as the registry, then off the wire for the COPY.
    const server = await serveOverWire(db);
    await migrateRegistry(server.url);
    await server.close();

    const start = performance.now();
    await readManifests(input.repoRoot, 'manifest.yaml');
    await db.transaction(async (tx) => {
      for (const { table, csv } of tables) await tx.query(copyStatement(table, "'/dev/blob'"), [], { blob: new Blob([csv]) });
    });
    return secondsSince(start);
  } finally {
    await db.close();
  }
}
