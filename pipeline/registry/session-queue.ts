/**
 * One PGlite session shared by many wire-protocol clients, without them seeing each other's work.
 *
 * PGlite is a single PostgreSQL backend. @electric-sql/pglite-socket multiplexes client sockets
 * onto it message by message; its own queue hands the session to another client as soon as
 * `IsTransactionBlock()` is false. That is too early in two cases we rely on:
 *  - an extended-protocol query (Parse, Bind, Execute, Sync) is not a transaction block until
 *    Sync, so a big Bind split across TCP reads lets another client's Parse replace the unnamed
 *    statement in between;
 *  - its queue stops for good when PGlite throws.
 *
 * This queue gives the session to one client from its first message until the backend reports
 * ReadyForQuery with status 'I' (idle: no transaction block, no unfinished extended query), so a
 * client's transaction is invisible and untouchable to the others: they simply wait, just as a
 * second PostgreSQL connection would wait on a lock. Advisory locks become trivially true
 * (everything is serialized), and a client that disconnects mid-transaction is rolled back.
 *
 * It implements the three methods PGLiteSocketHandler calls on its `queryQueue`.
 */
import type { PGlite } from '@electric-sql/pglite';

interface Job {
  handlerId: number;
  message: Uint8Array;
  onData: (data: Uint8Array) => void;
  resolve: (bytes: number) => void;
  reject: (err: Error) => void;
}

/** The frontend Sync message: ends an unfinished extended-protocol query. */
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

function simpleQuery(sql: string): Uint8Array {
  const body = Buffer.from(`${sql}\0`, 'utf8');
  const msg = Buffer.alloc(5 + body.length);
  msg.write('Q', 0, 'latin1');
  msg.writeInt32BE(4 + body.length, 1);
  body.copy(msg, 5);
  return msg;
}

/**
 * Follows the backend message stream (type byte, int32 length, body) across chunk boundaries
 * and remembers the status byte of the last ReadyForQuery ('I' idle, 'T' in transaction, 'E' failed).
 */
export class ReadyStatusScanner {
  last: 'I' | 'T' | 'E' | null = null;
  #header = Buffer.alloc(5);
  #headerFill = 0;
  #remaining = 0;
  #type = 0;

  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.#remaining > 0) {
        if (this.#type === 0x5a && this.#remaining === 1) this.last = String.fromCharCode(chunk[i]!) as 'I' | 'T' | 'E';
        const take = Math.min(this.#remaining, chunk.length - i);
        // ReadyForQuery's body is one byte, so the status is the first byte of a 1-byte remainder.
        i += take;
        this.#remaining -= take;
        continue;
      }
      this.#header[this.#headerFill++] = chunk[i++]!;
      if (this.#headerFill === 5) {
        this.#type = this.#header[0]!;
        this.#remaining = this.#header.readInt32BE(1) - 4;
        this.#headerFill = 0;
      }
    }
  }
}

export class SessionQueue {
  #queue: Job[] = [];
  /** The handler that holds the session, or null when the backend is idle. */
  #owner: number | null = null;
  #draining = false;

  constructor(private readonly db: PGlite) {}

  enqueue(handlerId: number, message: Uint8Array, onData: (data: Uint8Array) => void): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ handlerId, message, onData, resolve, reject });
      void this.#drain();
    });
  }

  getQueueLength(): number {
    return this.#queue.length;
  }

  clearQueueForHandler(handlerId: number): void {
    this.#queue = this.#queue.filter((job) => {
      if (job.handlerId !== handlerId) return true;
      job.reject(new Error('client disconnected'));
      return false;
    });
  }

  /** Called when a client goes away: if it held the session, end its query and roll back. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    // A client can go away after PGlite closed (the registry shutting down): nothing to reset then.
    if (this.db.closed) return;
    await this.db.runExclusive(async () => {
      if (this.db.closed) return;
      if (this.#owner !== handlerId) return;
      const scanner = new ReadyStatusScanner();
      await this.db.execProtocolRawStream(SYNC, { onRawData: (d) => scanner.feed(d) });
      if (scanner.last !== 'I') await this.db.execProtocolRawStream(simpleQuery('ROLLBACK'), { onRawData: () => {} });
      this.#owner = null;
    });
    void this.#drain();
  }

  #next(): Job | undefined {
    const index = this.#owner === null ? (this.#queue.length > 0 ? 0 : -1) : this.#queue.findIndex((j) => j.handlerId === this.#owner);
    return index === -1 ? undefined : this.#queue.splice(index, 1)[0];
  }

  async #drain(): Promise<void> {
    if (this.#draining) return;
    this.#draining = true;
    try {
      for (let job = this.#next(); job; job = this.#next()) {
        this.#owner = job.handlerId;
        const scanner = new ReadyStatusScanner();
        let bytes = 0;
        try {
          await this.db.runExclusive(() =>
            this.db.execProtocolRawStream(job.message, {
              onRawData: (data) => {
                bytes += data.length;
                scanner.feed(data);
                job.onData(data);
              },
            }),
          );
        } catch (err) {
          // The owner keeps the session; if its client gives up, clearTransactionIfNeeded resets it.
          job.reject(err instanceof Error ? err : new Error(String(err)));
          continue;
        }
        if (scanner.last === 'I') this.#owner = null;
        job.resolve(bytes);
      }
    } finally {
      this.#draining = false;
    }
  }
}
