/**
 * Serves a PGlite database over the PostgreSQL wire protocol on a loopback TCP port, so that `pg`
 * is the one database client everywhere. Built from pglite-socket's per-connection handler with our
 * SessionQueue in place of its own (see session-queue.ts for why).
 */
import net from 'node:net';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { SessionQueue } from './session-queue.ts';

type HandlerQueue = ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'];

export interface WireServer {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on `host` (default 127.0.0.1) and `port` (default 0: a random free port). */
export async function serveOverWire(db: PGlite, opts: { host?: string; port?: number } = {}): Promise<WireServer> {
  const host = opts.host ?? '127.0.0.1';
  // The handler only calls enqueue, clearQueueForHandler and clearTransactionIfNeeded, which
  // SessionQueue implements; the cast is needed because the library's class has private fields.
  const queue = new SessionQueue(db) as unknown as HandlerQueue;
  const handlers = new Set<PGLiteSocketHandler>();

  const server = net.createServer((socket) => {
    const handler = new PGLiteSocketHandler({ queryQueue: queue, closeOnDetach: true });
    handlers.add(handler);
    socket.once('close', () => handlers.delete(handler));
    handler.attach(socket).catch(() => socket.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the registry server has no TCP address');
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `postgres://postgres@${urlHost}:${address.port}/postgres`,
    port: address.port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Detaching rolls back a transaction a client left open, before the caller closes PGlite.
      await Promise.all([...handlers].map((h) => h.detach(true).catch(() => undefined)));
      handlers.clear();
      await closed;
    },
  };
}
