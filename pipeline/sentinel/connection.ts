/**
 * The sentinel's connections: taken from the caller's pool for one piece of work and given back.
 * Transactions go through pipeline/registry/db.ts inTransaction, like the rest of the code.
 */
import type pg from 'pg';
import { inTransaction, type TransactionOptions } from '../registry/db.ts';

/** What the sentinel needs of the database: a pg.Pool does. */
export type Db = Pick<pg.Pool, 'connect'>;

/** The read-only transaction in which plan reads the registry: one consistent picture, even while a sync commits. */
export const READ_ONLY = 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY';

/**
 * Runs `fn` on a connection of its own, given back afterwards. A connection whose work threw is
 * dropped, not reused: its state (an open transaction, a half-read result) is unknown.
 */
export async function withConnection<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  let failed = false;
  try {
    return await fn(client);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    client.release(failed);
  }
}

/** `fn` in one transaction (inTransaction) on a connection of its own. */
export function transaction<T>(db: Db, fn: (client: pg.ClientBase) => Promise<T>, opts?: TransactionOptions): Promise<T> {
  return withConnection(db, (client) => inTransaction(client, fn, opts));
}
