/**
 * What every registry module shares about talking to the database: the one query-able type and
 * the sync lock key. Written once here so the sentinel and the registry cannot drift apart.
 */
import type pg from 'pg';

/** Anything that runs a query: a pool, a client, a client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Advisory lock key ("cf-sync") a sync holds for its transaction; an approval takes it too, so it
 * never interleaves with a sync that is changing the same connector.
 */
export const SYNC_LOCK = 0x63662d73;
