/**
 * Every `pg` pool of the factory is made here, so that none can crash its process when the server
 * goes away. `pg` emits 'error' on a client whose connection ends unexpectedly: on an idle client
 * the pool relays it as the pool's 'error', but on a checked-out client (a sync mid-transaction)
 * nobody listens, and Node turns it into `Unhandled 'error' event` with a stack trace. The query in
 * flight is rejected anyway, so its caller learns of the loss as an ordinary result; the listeners
 * below only keep the event from killing the process, and tell `onLost` once per connection.
 */
import pg from 'pg';

export interface PoolOptions {
  max: number;
  /** Told once per connection that went away (idle or in use). Default: nothing. */
  onLost?: (err: Error) => void;
  /** How long a new connection may take before the attempt fails. Default 10 s. */
  connectionTimeoutMillis?: number;
}

export function createPool(url: string, opts: PoolOptions): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: opts.max, connectionTimeoutMillis: opts.connectionTimeoutMillis ?? 10_000 });
  // Idle clients: the pool relays their error here after removing them; the client listener below reports it.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => watchClient(client, opts.onLost));
  return pool;
}

/** Keeps a lost connection of `client` from crashing the process; `onLost` hears of it once. */
export function watchClient(client: pg.Client | pg.PoolClient, onLost?: (err: Error) => void): void {
  let told = false;
  client.on('error', (err: Error) => {
    if (told) return;
    told = true;
    onLost?.(err);
  });
}

/** SQLSTATEs that mean the server ended or refused the session, not that a statement was wrong. */
const LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '08P01']);
const LOST_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOENT', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
const LOST_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
  'Connection terminated due to connection timeout',
];

/** True when `err` says the connection to the registry went away (or could not be made), not that SQL failed. */
export function isConnectionLost(err: unknown): boolean {
  // A wrapper (e.g. "registry migration failed: …") keeps the lost connection as its cause.
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isLostItself(e)) return true;
  }
  return false;
}

function isLostItself(err: Error): boolean {
  const { code, syscall } = err as { code?: unknown; syscall?: unknown };
  if (typeof code === 'string' && LOST_CODES.has(code)) return true;
  // Only a socket's errno: a file the sync reads may be missing (ENOENT) without any connection lost.
  if (typeof code === 'string' && LOST_ERRNOS.has(code) && (syscall === 'connect' || syscall === 'read' || syscall === 'write')) return true;
  return LOST_MESSAGES.some((m) => err.message.startsWith(m));
}

/** The reason in a few words, for one log line: "terminating connection due to administrator command". */
export function lostReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]?.trim() || 'no reason given';
}
