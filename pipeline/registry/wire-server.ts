/**
 * Serves a PGlite database over the PostgreSQL wire protocol on a unix socket, never on a TCP
 * port, so that `pg` is the one database client everywhere and only this OS user can connect.
 * Built from pglite-socket's per-connection handler with our SessionQueue in place of its own
 * (see session-queue.ts for why).
 *
 * The socket is `<socketDir>/.s.PGSQL.5432`, PostgreSQL's own name, so `pg` (and psql) reach it
 * with `host=<socketDir>`. The directory must be private (0700, ours): that, not the socket's own
 * mode, is what keeps other users out, since permission to connect is checked on the path.
 */
import { lstat, mkdtemp, rm, chmod, unlink } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketHandler } from '@electric-sql/pglite-socket';
import { SessionQueue } from './session-queue.ts';

type HandlerQueue = ConstructorParameters<typeof PGLiteSocketHandler>[0]['queryQueue'];

/** PostgreSQL's socket file name for the default port; `pg` looks for exactly this name in `host`. */
export const SOCKET_FILE = '.s.PGSQL.5432';

/** Linux sun_path holds 108 bytes including the terminating NUL (macOS: 104). */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

export interface WireServer {
  /** postgres://postgres@/postgres?host=<socket dir, percent-encoded>: `pg` connects through the socket. */
  url: string;
  /** `<socketDir>/.s.PGSQL.5432` */
  socketPath: string;
  close(): Promise<void>;
}

/** The connection URL for the socket in `socketDir` (libpq's form: empty host, `host` parameter). */
export function socketUrl(socketDir: string): string {
  return `postgres://postgres@/postgres?host=${encodeURIComponent(socketDir)}`;
}

/**
 * Null when `socketDir`'s socket path fits a unix socket address, else a message saying what to
 * do: choose a shorter `base` (the directory the user picks, which `socketDir` is in or is).
 */
export function socketPathProblem(socketDir: string, setWith: string, base: string = socketDir): string | null {
  const socketPath = path.join(socketDir, SOCKET_FILE);
  const bytes = Buffer.byteLength(socketPath);
  if (bytes <= MAX_SOCKET_PATH_BYTES) return null;
  return (
    `the registry's socket ${socketPath} would be ${bytes} bytes long, over the ${MAX_SOCKET_PATH_BYTES}-byte limit ` +
    `for unix socket paths. Choose a shorter ${setWith} (its path may be at most ` +
    `${MAX_SOCKET_PATH_BYTES - (bytes - Buffer.byteLength(base))} bytes).`
  );
}

/**
 * Listens on `<socketDir>/.s.PGSQL.5432`. `socketDir` must already be private (0700, ours) and
 * hold no socket of a live server. Without `socketDir` (tests, the bench), a fresh 0700 directory
 * is made under the OS temp dir and removed on close.
 */
export async function serveOverWire(db: PGlite, opts: { socketDir?: string } = {}): Promise<WireServer> {
  const ownDir = opts.socketDir === undefined;
  const socketDir = opts.socketDir ?? (await mkdtemp(path.join(os.tmpdir(), 'cf-pg-')));
  const problem = socketPathProblem(socketDir, 'socket directory');
  if (problem) throw new Error(problem);
  const socketPath = path.join(socketDir, SOCKET_FILE);

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

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: socketPath, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // The directory already keeps others out; the socket's own mode must not be the umask's.
    await chmod(socketPath, 0o600);
  } catch (err) {
    server.close();
    if (ownDir) await rm(socketDir, { recursive: true, force: true });
    throw err;
  }
  const ino = (await lstat(socketPath)).ino;

  return {
    url: socketUrl(socketDir),
    socketPath,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Detaching rolls back a transaction a client left open, before the caller closes PGlite.
      await Promise.all([...handlers].map((h) => h.detach(true).catch(() => undefined)));
      handlers.clear();
      await closed;
      // Node removes the socket file on close; make sure, but never remove a socket that is not ours.
      const st = await lstat(socketPath).catch(() => null);
      if (st?.isSocket() && st.ino === ino) await unlink(socketPath).catch(() => undefined);
      if (ownDir) await rm(socketDir, { recursive: true, force: true });
    },
  };
}
