/**
 * A fresh registry (PGlite or PostgreSQL) holding the repository's dummy_service, synced by the
 * real sentinel from a temp copy of its folder and approved the way the site approves it
 * (pipeline/registry/approvals.ts), ready for licences.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { approveProvider } from '../../registry/approvals.ts';
import { PROJECT_ROOT } from '../../registry/connect.ts';
import { freshDatabase, type FreshDatabase, type TestBackend } from '../../registry/testing.ts';
import { runSync } from '../../sentinel/sync.ts';

export interface DummyRegistry {
  db: FreshDatabase;
  pool: pg.Pool;
  close(): Promise<void>;
}

export async function registryWithDummyService(backend: TestBackend, opts: { approve?: boolean } = {}): Promise<DummyRegistry> {
  const db = await freshDatabase(backend);
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  await syncDummyService(pool, opts);
  return {
    db,
    pool,
    close: async () => {
      await pool.end();
      await db.drop();
    },
  };
}

/** Syncs dummy_service into the registry behind `pool` and (by default) approves it as the site does. */
export async function syncDummyService(pool: pg.Pool, opts: { approve?: boolean } = {}): Promise<void> {
  const repo = mkdtempSync(join(tmpdir(), 'licence-repo-'));
  try {
    cpSync(join(PROJECT_ROOT, 'pipeline', 'catalog'), join(repo, 'pipeline', 'catalog'), { recursive: true });
    mkdirSync(join(repo, 'connectors'));
    cpSync(join(PROJECT_ROOT, 'connectors', 'dummy_service'), join(repo, 'connectors', 'dummy_service'), { recursive: true });
    const synced = await runSync({ db: pool, repoRoot: repo, actor: 'test-sync', commitSha: null });
    if (!synced.result) throw new Error(`the dummy_service sync failed: ${JSON.stringify(synced.validation.errors)}`);
    if (opts.approve !== false) {
      const { rows } = await pool.query<{ manifest_digest: string }>(`SELECT manifest_digest FROM connector_providers WHERE provider_slug = 'dummy_service'`);
      const approved = await approveProvider(pool, { slug: 'dummy_service', digest: rows[0]!.manifest_digest, actor: 'operator' });
      if (!approved.ok) throw new Error(approved.message);
    }
  } finally {
    rmSync(repo, { recursive: true, force: true });
  }
}

/** Every row of the licence tables and the events, as one text, for canary searches. */
export async function licenceTablesText(pool: pg.Pool): Promise<string> {
  const out: string[] = [];
  for (const table of ['licence_requests', 'firearm_uses', 'firearm_licences', 'registry_events']) {
    const { rows } = await pool.query(`SELECT to_jsonb(t)::text AS row FROM ${table} t`);
    out.push(...rows.map((r: { row: string }) => r.row));
  }
  return out.join('\n');
}
