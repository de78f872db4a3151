/**
 * A host holding one fresh, migrated, empty registry for as long as the parent needs it:
 * the embedded registry (PGlite persisted in a new data dir, served over the wire, exactly what
 * `npm start` runs) or a new database on the PostgreSQL server of --database-url, dropped on close.
 * The bench never writes into the database it was pointed at.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TaskContext } from '../tasks.ts';

export type FreshDatabaseInput = { backend: 'embedded'; dataDir: string } | { backend: 'postgres'; serverUrl: string };

export async function freshDatabaseHost(input: FreshDatabaseInput, context: TaskContext): Promise<{ url: string }> {
  const { migrateRegistry } = await import('../../registry/migrate.ts');
  let url: string;
  let close: () => Promise<void>;
  if (input.backend === 'embedded') {
    const { startEmbeddedRegistry } = await import('../../registry/embedded.ts');
    const registry = await startEmbeddedRegistry({ dataDir: input.dataDir });
    url = registry.url;
    close = () => registry.close();
  } else {
    const name = `cf_bench_${randomBytes(6).toString('hex')}`;
    await admin(input.serverUrl, `CREATE DATABASE ${name}`);
    const u = new URL(input.serverUrl);
    u.pathname = `/${name}`;
    url = u.toString();
    close = () => admin(input.serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  try {
    await migrateRegistry(url);
    context.ready({ url });
    await context.untilClosed;
  } finally {
    await close();
  }
  return { url };
}

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates a migrated, empty embedded registry in `dataDir` and closes it, for copying. */
export async function registryTemplateTask(input: { dataDir: string }): Promise<Record<string, never>> {
  const { migrateRegistry } = await import('../../registry/migrate.ts');
  const { startEmbeddedRegistry } = await import('../../registry/embedded.ts');
  const registry = await startEmbeddedRegistry({ dataDir: input.dataDir });
  try {
    await migrateRegistry(registry.url);
  } finally {
    await registry.close();
  }
  return {};
}
