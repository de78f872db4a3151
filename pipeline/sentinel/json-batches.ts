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

/** Providers carry their whole manifest as JSON: a few KiB each. */
export const PROVIDER_BATCH: BatchLimits = { rows: 2000, chars: 16 * 1024 * 1024 };
/** Child rows (scopes, KPI mappings, secrets, bookkeeping) are a few hundred bytes each. */
export const ROW_BATCH: BatchLimits = { rows: 20_000, chars: 16 * 1024 * 1024 };

/** The limits apply.ts uses: providers (with their manifests) and every other kind of row. */
export interface ApplyBatches {
  providers: BatchLimits;
  rows: BatchLimits;
}
export const APPLY_BATCHES: ApplyBatches = { providers: PROVIDER_BATCH, rows: ROW_BATCH };

/**
 * Calls `send` with each batch of `rows` as one JSON array text, in order, one at a time; rows
 * are turned into JSON as they are batched, so `rows` may be a generator. Returns how many rows went.
 */
export async function sendJsonBatches<T>(rows: Iterable<T>, limits: BatchLimits, send: (json: string) => Promise<unknown>): Promise<number> {
  let parts: string[] = [];
  let chars = 0;
  let sent = 0;
  const flush = async () => {
    const batch = `[${parts.join(',')}]`;
    sent += parts.length;
    parts = [];
    chars = 0;
    await send(batch);
  };
  for (const row of rows) {
    const text = JSON.stringify(row);
    if (parts.length > 0 && (parts.length >= limits.rows || chars + text.length > limits.chars)) await flush();
    parts.push(text);
    chars += text.length + 1;
  }
  if (parts.length > 0) await flush();
  return sent;
}
