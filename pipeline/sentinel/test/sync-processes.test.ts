import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testBackends, type FreshDatabase } from '../../registry/testing.ts';
import { observed, watchSessionWaiters } from '../../registry/test/session-waiters.ts';
import { runSync } from '../index.ts';
import { dumpRegistry, finished, makeRepo, spawnTs, waitForOutput, type TestRepo } from './helpers.ts';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'sync-child.ts');

describe.each(testBackends())('syncs in separate processes (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  let repo: TestRepo;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    repo = makeRepo([]);
    for (let i = 0; i < 40; i++) repo.write(`svc_${String(i).padStart(2, '0')}`);
  });
  afterAll(async () => {
    await pool.end();
    await db.drop();
    repo.cleanup();
  });

  it('two concurrent syncs both succeed and converge', async () => {
    const [a, b] = await Promise.all([finished(spawnTs(CHILD, [db.url, repo.root])), finished(spawnTs(CHILD, [db.url, repo.root]))]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const outcomes = [a, b].map((r) => JSON.parse(r.stdout.trim().split('\n').at(-1)!));
    // One applied all 40; the other ran after it under the lock and found nothing to do.
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['applied', 'noop']);
    expect(outcomes.map((o) => o.counts.added).sort()).toEqual([0, 40]);
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM connector_providers WHERE status = 'draft'`);
    expect(rows[0].n).toBe(40);
    const syncs = await pool.query(`SELECT outcome FROM registry_syncs ORDER BY id`);
    expect(syncs.rows.map((r) => r.outcome)).toEqual(['applied', 'noop']);
  });

  it('a sync killed mid-transaction leaves the registry as it was', async () => {
    const before = await dumpRegistry(pool);
    const syncsBefore = (await pool.query(`SELECT count(*)::int AS n FROM registry_syncs`)).rows[0].n;
    repo.write('svc_00', { display_name: 'Changed before the crash' });
    repo.remove('svc_01');
    repo.write('brand_new');

    const child = spawnTs(CHILD, [db.url, repo.root, 'pause']);
    const exited = finished(child);
    await waitForOutput(child, 'PAUSED');
    // A reader during the open sync transaction (the site, say) never sees its uncommitted rows:
    // PostgreSQL answers from the last commit, the embedded registry makes it wait for the end.
    // (On the embedded registry even the connection's startup waits.)
    const reader = new pg.Client({ connectionString: db.url });
    const waiters = watchSessionWaiters();
    try {
      const readDuringSync = observed(reader.connect().then(() => dumpRegistry(reader)));
      if (backend === 'postgres') {
        // Answered while the sync is still open (its process alive and paused in the transaction).
        expect(await readDuringSync.promise).toEqual(before);
        expect(child.exitCode).toBeNull();
      } else {
        await waiters.until(1); // the reader has reached the registry and waits there
        expect(readDuringSync.settled()).toBe(false);
      }
      child.kill('SIGKILL');
      expect((await exited).signal).toBe('SIGKILL');
      expect(await readDuringSync.promise).toEqual(before);
    } finally {
      waiters.stop();
      await reader.end();
    }

    expect(await dumpRegistry(pool)).toEqual(before);
    expect((await pool.query(`SELECT count(*)::int AS n FROM registry_syncs`)).rows[0].n).toBe(syncsBefore);

    // The registry is usable afterwards: the lock went with the dead connection.
    const { result } = await runSync({ db: pool, repoRoot: repo.root, actor: 'after-crash' });
    expect(result!.plan.counts.providers).toMatchObject({ added: 1, changed: 1, retired: 1 });
  });
});
