/**
 * What every registry module shares about talking to the database: the one query-able type, the
 * sync lock key, the transaction helper and the redaction of a database URL. Written once here so
 * the sentinel, the registry, the site and the CLI cannot drift apart.
 */
import pg from 'pg';

/** Anything that runs a query: a pool, a client, a client inside a transaction. */
export type Queryable = Pick<pg.ClientBase, 'query'>;

/**
 * Advisory lock key ("cf-sync") a sync holds for its transaction; an approval takes it too, so it
 * never interleaves with a sync that is changing the same connector.
 */
export const SYNC_LOCK = 0x63662d73;

/** Where a transaction runs: a pool (one connection is taken and given back) or a connection already held, outside any transaction. */
export type Connectable = pg.Pool | pg.ClientBase;

export interface TransactionOptions {
  /** The statement that opens the transaction. Default `BEGIN`; e.g. `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`. */
  begin?: string;
  /** An advisory lock key (SYNC_LOCK) taken right after BEGIN and held until the transaction ends. Default: none. */
  lock?: number;
}

/**
 * Runs `fn` in one transaction on one connection and commits. A throw in `fn` (or from BEGIN or
 * COMMIT) rolls back and is rethrown as it was. A connection taken from a pool is always given
 * back; one whose ROLLBACK failed is in an unknown state, so the pool drops it instead of reusing it.
 */
export async function inTransaction<T>(db: Connectable, fn: (client: pg.ClientBase) => Promise<T>, opts: TransactionOptions = {}): Promise<T> {
  const pooled = isPool(db);
  const client = pooled ? await db.connect() : db;
  let broken: Error | undefined;
  try {
    await client.query(opts.begin ?? 'BEGIN');
    if (opts.lock !== undefined) await client.query('SELECT pg_advisory_xact_lock($1)', [opts.lock]);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw err;
  } finally {
    if (pooled) (client as pg.PoolClient).release(broken);
  }
}

function isPool(db: Connectable): db is pg.Pool {
  return db instanceof pg.Pool || typeof (db as unknown as Partial<pg.Pool>).totalCount === 'number';
}

/**
 * The URL as it may be shown: `postgres://user:***@host:5432/db` (no password, nothing else
 * changed); a connection string that is not a URL is not shown at all ("DATABASE_URL").
 */
export function urlWithoutPassword(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

/**
 * `text` with the database URL replaced by `<placeholder>` and its password, as written in the
 * URL or decoded, replaced by `***` wherever else it appears. Default placeholder: "database url".
 */
export function redactUrl(text: string, url: string, placeholder = 'database url'): string {
  if (!url) return text;
  let out = text.split(url).join(`<${placeholder}>`);
  let raw = '';
  try {
    raw = new URL(url).password;
  } catch {
    // Not a URL: the whole string, the only form known, is already out.
  }
  for (const password of new Set([raw, safeDecode(raw)])) {
    if (password) out = out.split(password).join('***');
  }
  return out;
}

/** The error with its message put through redactUrl; the same error when there was nothing to take out. */
export function redactError(err: unknown, url: string, placeholder?: string): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const message = redactUrl(e.message, url, placeholder);
  if (message === e.message) return e;
  const clean = new Error(message);
  clean.name = e.name;
  return clean;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
