/**
 * Rows sent as JSON arrays of bounded size, for the set-based statements of apply.ts and files.ts
 * (jsonb_to_recordset). One array of every row fails outright at 100,000 connectors (PostgreSQL
 * refuses a jsonb array whose elements exceed 256 MiB) and holds every row's JSON at once; in
 * batches, a statement stays far below that and memory holds one batch's JSON at a time. A few
 * dozen statements instead of one change nothing of the sync's atomicity: they run in its transaction.
 */

export interface BatchLimits {
  /** At most this many rows per statement. */
  rows: number;
  /** At most about this many characters of JSON per statement (a single larger row goes alone). */
  chars: number;
}

/**
 * Providers carry their whole manifest as JSON: a few KiB each. 4 M characters is about 1,000 of
 * them: the batch's buffer and pg's copy of it are what a sync holds outside the heap while it
 * writes (16 M made them 50 MB at the cold sync's peak), and a statement more per 1,000 providers
 * costs nothing measurable.
 */
export const PROVIDER_BATCH: BatchLimits = { rows: 2000, chars: 4 * 1024 * 1024 };
/** Child rows (scopes, KPI mappings, secrets, bookkeeping) are a few hundred bytes each. */
export const ROW_BATCH: BatchLimits = { rows: 20_000, chars: 4 * 1024 * 1024 };

/** The limits apply.ts uses: providers (with their manifests) and every other kind of row. */
export interface ApplyBatches {
  providers: BatchLimits;
  rows: BatchLimits;
}
export const APPLY_BATCHES: ApplyBatches = { providers: PROVIDER_BATCH, rows: ROW_BATCH };

/**
 * One batch of rows as a jsonb parameter in PostgreSQL's binary format: a version byte (1), then
 * the JSON text of an array. Each row's JSON is written into one reused buffer as it is added, so
 * no string of it outlives the row (pg sends a Buffer parameter as binary, and jsonb's binary
 * input is exactly this). Measured on a cold sync of 100,000 connectors: kept as strings until
 * the batch was joined, the 1.8 million rows' JSON and the joined batches were about 700 MB of
 * heap garbage that outlived the young generation, which was most of the sync's peak above its
 * live data (RSS 1.7 GB).
 */
export class JsonbBatch {
  private buf: Buffer;
  private bytes = 0;
  /** Rows in the batch. */
  rows = 0;
  /** Characters of JSON in the batch (UTF-16 code units, as a string's length counts them). */
  chars = 0;

  /** `capacity`: the bytes to start with, when the caller knows about how many it will add (it grows as needed). */
  constructor(capacity = 1 << 16) {
    this.buf = Buffer.allocUnsafe(Math.max(capacity, 16));
    this.clear();
  }

  add(row: unknown): void {
    this.addJson(JSON.stringify(row));
  }

  /** Adds a row already in JSON. */
  addJson(text: string): void {
    // At most 3 bytes of UTF-8 per UTF-16 code unit, plus the separator and the closing bracket.
    this.ensure(this.bytes + text.length * 3 + 2);
    this.buf[this.bytes++] = this.rows === 0 ? 0x5b : 0x2c; // '[' or ','
    this.bytes += this.buf.write(text, this.bytes, 'utf8');
    this.rows += 1;
    this.chars += text.length + 1;
  }

  /**
   * The batch as a jsonb parameter, valid until the next add or clear: send it and await the
   * statement before adding more (pg copies it when it writes the statement).
   */
  param(): Buffer {
    this.ensure(this.bytes + 2);
    if (this.rows === 0) this.buf[this.bytes] = 0x5b;
    const end = this.rows === 0 ? this.bytes + 1 : this.bytes;
    this.buf[end] = 0x5d; // ']'
    return this.buf.subarray(0, end + 1);
  }

  clear(): void {
    this.buf[0] = 1; // jsonb binary format version
    this.bytes = 1;
    this.rows = 0;
    this.chars = 0;
  }

  private ensure(size: number): void {
    if (size <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(size, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.bytes);
    this.buf = next;
  }
}

/**
 * Calls `send` with each batch of `rows` as one jsonb parameter (JsonbBatch), in order, one at a
 * time; rows are turned into JSON as they are batched, so `rows` may be a generator. `send` must
 * be done with its parameter when its promise settles (the buffer is reused). Returns how many rows went.
 */
export async function sendJsonBatches<T>(rows: Iterable<T>, limits: BatchLimits, send: (jsonb: Buffer) => Promise<unknown>): Promise<number> {
  // Made at its full size at once, not grown by doubling (each step a copy left for the collector);
  // pages never written are not resident.
  const batch = new JsonbBatch(limits.chars + (1 << 20));
  let sent = 0;
  const flush = async () => {
    sent += batch.rows;
    await send(batch.param());
    batch.clear();
  };
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (batch.rows > 0 && (batch.rows >= limits.rows || batch.chars + text.length > limits.chars)) await flush();
    batch.addJson(text);
  }
  if (batch.rows > 0) await flush();
  return sent;
}
