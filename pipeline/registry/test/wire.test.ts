import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReadyStatusScanner } from '../session-queue.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../testing.ts';
import { observed, watchSessionWaiters } from './session-waiters.ts';

/**
 * What every registry client relies on, whichever backend serves it. On PostgreSQL these hold by
 * construction; on the embedded PGlite they hold because of SessionQueue.
 */
describe.each(testBackends())('registry connections (%s)', (backend) => {
  let db: FreshDatabase;
  const clients: pg.Client[] = [];
  const connect = async () => {
    const c = new pg.Client({ connectionString: db.url });
    c.on('error', () => undefined);
    clients.push(c);
    await c.connect();
    return c;
  };

  beforeAll(async () => {
    db = await freshDatabase(backend);
    const c = await connect();
    await c.query('CREATE TABLE t (id int PRIMARY KEY, note text)');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await db.drop();
  });

  it("a transaction's writes are invisible to other connections until it commits", async () => {
    const writer = await connect();
    const reader = await connect();
    await writer.query('BEGIN');
    await writer.query(`INSERT INTO t VALUES (1, 'uncommitted')`);
    // On PostgreSQL the read answers at once from the last commit; on the embedded registry it
    // waits for the transaction to end. Either way it never returns the uncommitted row.
    const waiters = watchSessionWaiters();
    try {
      const read = observed(reader.query<{ n: number }>('SELECT count(*)::int AS n FROM t'));
      if (backend === 'postgres') {
        expect((await read.promise).rows[0]!.n).toBe(0); // answered while the transaction is still open
      } else {
        await waiters.until(1); // the read has reached the registry and waits there
        expect(read.settled()).toBe(false);
      }
      await writer.query('ROLLBACK');
      expect((await read.promise).rows[0]!.n).toBe(0);
    } finally {
      waiters.stop();
    }
  });

  it('a client that disconnects mid-transaction is rolled back and others carry on', async () => {
    const doomed = await connect();
    await doomed.query('BEGIN');
    await doomed.query(`INSERT INTO t VALUES (2, 'never committed')`);
    (doomed as unknown as { connection: { stream: net.Socket } }).connection.stream.destroy();
    const other = await connect();
    expect((await other.query('SELECT count(*)::int AS n FROM t WHERE id = 2')).rows[0].n).toBe(0);
    await other.query(`INSERT INTO t VALUES (2, 'committed')`);
    expect((await other.query('SELECT note FROM t WHERE id = 2')).rows[0].note).toBe('committed');
  });

  it("a large parameterized query is never interleaved with another client's queries", async () => {
    // A multi-megabyte Bind arrives in many TCP reads; pglite-socket's own queue let another
    // client's Parse run in between and replace the unnamed statement.
    const big = await connect();
    const small = await connect();
    const payload = 'x'.repeat(3_000_000);
    const results = await Promise.allSettled([
      (async () => {
        for (let i = 0; i < 4; i++) expect((await big.query('SELECT length($1::text) AS n', [payload])).rows[0].n).toBe(payload.length);
      })(),
      (async () => {
        for (let i = 0; i < 150; i++) expect((await small.query('SELECT $1::int + 7 AS n', [i])).rows[0].n).toBe(i + 7);
      })(),
    ]);
    // Failure messages would quote the payload; report only whether each side held.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
  });

  it('an error in one client leaves the others unaffected', async () => {
    const failing = await connect();
    const fine = await connect();
    await expect(failing.query('SELECT * FROM no_such_table')).rejects.toThrow(/no_such_table/);
    expect((await fine.query('SELECT 1 AS one')).rows[0].one).toBe(1);
    expect((await failing.query('SELECT 2 AS two')).rows[0].two).toBe(2);
  });
});

describe('ReadyStatusScanner', () => {
  it('finds the ReadyForQuery status across chunk boundaries', () => {
    const msg = (type: string, body: number[]) => {
      const b = Buffer.alloc(5 + body.length);
      b.write(type, 0, 'latin1');
      b.writeInt32BE(4 + body.length, 1);
      Buffer.from(body).copy(b, 5);
      return b;
    };
    // Z's body length 1 means a 'Z' inside another message's body must not be mistaken for one.
    const stream = Buffer.concat([msg('C', [...Buffer.from('Z\0')]), msg('Z', ['T'.charCodeAt(0)]), msg('1', []), msg('Z', ['I'.charCodeAt(0)])]);
    for (let cut = 1; cut < stream.length; cut++) {
      const s = new ReadyStatusScanner();
      s.feed(stream.subarray(0, cut));
      s.feed(stream.subarray(cut));
      expect(s.last).toBe('I');
    }
    const half = new ReadyStatusScanner();
    half.feed(stream.subarray(0, 13 + 6));
    expect(half.last).toBe('T');
  });
});
