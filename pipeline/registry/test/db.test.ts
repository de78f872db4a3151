/**
 * The shared database module (pipeline/registry/db.ts): the transaction helper on the embedded
 * PGlite and on real PostgreSQL, each in a fresh database (commits, rolls back on a throw, gives
 * its connection back whatever happens, passes COMMIT's own error on), and the redaction of a
 * database URL that every printed message goes through.
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction, redactError, redactUrl, SYNC_LOCK, urlWithoutPassword } from '../db.ts';
import { createPool } from '../pool.ts';
import { observed, watchSessionWaiters } from './session-waiters.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../testing.ts';

describe.each(testBackends())('inTransaction (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;
  const rows = async () => (await pool.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);
  const idleAll = () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount });

  beforeAll(async () => {
    db = await freshDatabase(backend);
    // One connection: a connection not given back would leave the next test none.
    // (createPool: a connection lost while checked out must not crash the test process.)
    pool = createPool(db.url, { max: 1, connectionTimeoutMillis: 5_000 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  beforeEach(async () => {
    await pool.query('DROP TABLE IF EXISTS t; CREATE TABLE t (id int, CONSTRAINT t_id UNIQUE (id) DEFERRABLE INITIALLY DEFERRED)');
  });
  afterEach(() => {
    const { total, idle, waiting } = idleAll();
    expect(idle).toBe(total);
    expect(waiting).toBe(0);
  });

  it("commits fn's writes and returns its value, and gives the connection back", async () => {
    const value = await inTransaction(pool, async (client) => {
      await client.query('INSERT INTO t VALUES (1), (2)');
      return 'done';
    });
    expect(value).toBe('done');
    expect(await rows()).toEqual([1, 2]);
    expect(idleAll()).toEqual({ total: 1, idle: 1, waiting: 0 });
  });

  it('a throw in fn rolls every write back, is rethrown as it was, and the connection is given back', async () => {
    const boom = new Error('refused by the caller');
    await expect(
      inTransaction(pool, async (client) => {
        await client.query('INSERT INTO t VALUES (1)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await rows()).toEqual([]);
    expect(idleAll()).toEqual({ total: 1, idle: 1, waiting: 0 });
  });

  it("a failing statement rolls back and its error is the caller's; the connection is not left in an aborted transaction", async () => {
    const err = await inTransaction(pool, async (client) => {
      await client.query('INSERT INTO t VALUES (1)');
      await client.query('SELECT * FROM no_such_table');
    }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('42P01');
    // The same (only) connection answers again, outside any transaction.
    expect(await rows()).toEqual([]);
  });

  it("an error from COMMIT itself (a deferred constraint) reaches the caller, nothing is written, the connection is given back", async () => {
    const err = await inTransaction(pool, async (client) => {
      await client.query('INSERT INTO t VALUES (7), (7)'); // checked only at COMMIT
      return 'fn finished';
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('23505');
    expect(await rows()).toEqual([]);
    expect(idleAll()).toEqual({ total: 1, idle: 1, waiting: 0 });
  });

  it('on a connection the caller holds, it runs there and leaves the connection open and usable', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await inTransaction(client, async (tx) => {
        expect(tx).toBe(client);
        await tx.query('INSERT INTO t VALUES (3)');
      });
      await expect(inTransaction(client, async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
      expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
    } finally {
      await client.end();
    }
    expect(await rows()).toEqual([3]);
  });

  it('begin opens the transaction as asked: a READ ONLY one refuses a write', async () => {
    const err = await inTransaction(pool, (client) => client.query('INSERT INTO t VALUES (1)'), { begin: 'BEGIN READ ONLY' }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('25006');
    expect(await rows()).toEqual([]);
  });

  it('lock holds the advisory lock from BEGIN to the end of the transaction, not longer', async () => {
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    const tryLock = async () => (await other.query<{ got: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS got', [SYNC_LOCK])).rows[0]!.got;
    try {
      // PGlite serves every connection in one session, where advisory locks exclude nobody: there
      // the lock can only be seen in pg_locks.
      const heldInside = await inTransaction(
        pool,
        async (client) => {
          if (backend === 'postgres') return !(await tryLock());
          const { rows: locks } = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1`, [SYNC_LOCK]);
          return locks[0]!.n > 0;
        },
        { lock: SYNC_LOCK },
      );
      expect(heldInside).toBe(true);
      if (backend === 'postgres') expect(await tryLock()).toBe(true);
      const { rows: after } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND pid = pg_backend_pid()`, [SYNC_LOCK]);
      expect(after[0]!.n).toBe(0);
    } finally {
      await other.end();
    }
  });

  it('a transaction taking the lock waits while another holds it, and runs once that one ends', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    const waiters = watchSessionWaiters();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1)', [SYNC_LOCK]);
      const second = observed(inTransaction(pool, (client) => client.query('INSERT INTO t VALUES (9)'), { lock: SYNC_LOCK }));
      if (backend === 'postgres') {
        // Seen waiting on the lock by the server itself.
        for (;;) {
          const { rows: w } = await holder.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`, [SYNC_LOCK]);
          if (w[0]!.n > 0) break;
        }
      } else {
        await waiters.until(1); // the embedded registry: queued behind the holder's session
      }
      expect(second.settled()).toBe(false);
      await holder.query('COMMIT');
      await second.promise;
      expect(await rows()).toEqual([9]);
    } finally {
      waiters.stop();
      await holder.end();
    }
  });

  it.runIf(backend === 'postgres')('a connection lost inside the transaction is dropped from the pool, not handed out again', async () => {
    const killer = new pg.Client({ connectionString: db.url });
    await killer.connect();
    try {
      const err = await inTransaction(pool, async (client) => {
        const { rows: me } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await killer.query('SELECT pg_terminate_backend($1)', [me[0]!.pid]);
        await client.query('INSERT INTO t VALUES (1)');
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(pool.totalCount).toBe(0);
      // The next caller gets a new, working connection.
      expect(await rows()).toEqual([]);
    } finally {
      await killer.end();
    }
  });
});

describe('database URL redaction', () => {
  it('shows a URL with its password as ***, everything else as it was', () => {
    expect(urlWithoutPassword('postgres://alice:s3cret@db.example:5432/registry?sslmode=require')).toBe(
      'postgres://alice:***@db.example:5432/registry?sslmode=require',
    );
    expect(urlWithoutPassword('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });

  it('does not show a connection string that is not a URL at all (it may hold a password)', () => {
    expect(urlWithoutPassword('host=db password=s3cret')).toBe('DATABASE_URL');
  });

  it('takes the URL and its password, as written or decoded, out of a message', () => {
    const url = 'postgres://alice:p%40ss%2Fword@db.example/registry';
    const text = `connect to ${url} failed; password "p@ss/word" rejected; p%40ss%2Fword again`;
    const out = redactUrl(text, url);
    expect(out).toBe('connect to <database url> failed; password "***" rejected; *** again');
    expect(redactUrl(`cannot read ${url}`, url, 'REGISTRY_DATABASE_URL')).toBe('cannot read <REGISTRY_DATABASE_URL>');
  });

  it('leaves a message without the URL or password alone, and redactError returns that same error', () => {
    const err = new Error('relation "t" does not exist');
    expect(redactError(err, 'postgres://a:hunter2@h/d')).toBe(err);
    const leaky = new TypeError('bad postgres://a:hunter2@h/d');
    const clean = redactError(leaky, 'postgres://a:hunter2@h/d');
    expect(clean.message).toBe('bad <database url>');
    expect(clean.name).toBe('TypeError');
    expect(redactError('hunter2 in a string', 'postgres://a:hunter2@h/d').message).toBe('*** in a string');
  });
});
