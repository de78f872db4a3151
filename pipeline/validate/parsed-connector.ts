/**
 * A valid connector as plan and sync hold it, from validation until its rows are written: its
 * manifest kept as its canonical JSON (pipeline/schema/digest.ts), and parsed again each time
 * `manifest` is read.
 *
 * Why: a cold sync holds every connector at once. Measured on 20,000 generated manifests (2.8 KB of
 * YAML each), a parsed manifest was 3.4 KB of heap as objects, and one parsed on the main thread
 * also kept its whole YAML text alive, because the parsers' strings are slices of it: 6.1 KB a
 * connector in all, 650 MB at 100,000. The canonical JSON is made anyway for the digest, holds no
 * slice, is what the registry stores in connector_providers.manifest, and parses in about 6 µs.
 *
 * Many connectors (the worker pool's chunks) keep it as UTF-8 bytes in one buffer per chunk
 * (packManifests), outside the JavaScript heap: V8 lets its heap grow to a multiple of what was
 * live at its last full collection before collecting again, so bytes kept on the heap cost more
 * than their size at a sync's peak, and bytes outside it cost their size. Measured on cold syncs
 * of 100,000 connectors (PostgreSQL): peak RSS 914-922 MiB with the JSON as strings, 785-824 MiB
 * packed, against 1,012-1,044 MiB with parsed manifests. A worker hands its chunk's buffer to the
 * main thread without a copy.
 *
 * `manifest` is an enumerable accessor, so JSON, spreads, structured clones and test comparisons
 * see an ordinary property; each read is a new object with its keys in canonical (sorted) order.
 * Read it once per use and do not keep it: kept, it is the memory this module saves.
 */
import { canonicalJson } from '../schema/digest.ts';
import type { Manifest } from '../schema/manifest.ts';
import type { ParsedConnector, ValidConnector } from './types.ts';

/** The canonical JSON, as a string or as its UTF-8 bytes (a view into a chunk's buffer). */
type Source = string | Buffer;
const MANIFEST_JSON = Symbol('canonical manifest JSON');
type Held = { [MANIFEST_JSON]: Source };

const text = (s: Source): string => (typeof s === 'string' ? s : s.toString('utf8'));

/** One accessor for every connector, so they share one hidden class. */
const MANIFEST_VIEW: PropertyDescriptor = {
  enumerable: true,
  get(this: Held): Manifest {
    return JSON.parse(text(this[MANIFEST_JSON])) as Manifest;
  },
};

/** A parsed connector holding `manifestJson` (canonicalJson of its manifest, or its UTF-8 bytes). */
export function parsedConnector(fields: { slug: string; file: string; digest: string }, manifestJson: Source): ParsedConnector {
  const c = { kind: 'parsed' as const, slug: detached(fields.slug), file: fields.file, digest: fields.digest };
  // Not enumerable and keyed by a symbol: JSON, spreads, clones and comparisons see `manifest` only.
  Object.defineProperty(c, MANIFEST_JSON, { value: manifestJson, writable: true });
  Object.defineProperty(c, 'manifest', MANIFEST_VIEW);
  return c as unknown as ParsedConnector;
}

const sourceOf = (c: ValidConnector): Source | undefined => (c as Partial<Held>)[MANIFEST_JSON];

/** The canonical JSON of a parsed connector's manifest: the one it holds, or made from `manifest` for one built by hand (tests). */
export function manifestJsonOf(c: ParsedConnector): string {
  const s = sourceOf(c);
  return s === undefined ? canonicalJson(c.manifest) : text(s);
}

/**
 * Moves the manifests the connectors of `results` hold as strings into one buffer (UTF-8, one
 * after the other), each connector keeping a view of its part. Returns the buffer's memory
 * (to transfer to another thread), or undefined when there was nothing to move.
 */
export function packManifests(results: readonly { connector?: ValidConnector }[]): ArrayBuffer | undefined {
  const held: { c: Held; json: string }[] = [];
  let bytes = 0;
  for (const r of results) {
    const s = r.connector && sourceOf(r.connector);
    if (typeof s !== 'string') continue;
    held.push({ c: r.connector as unknown as Held, json: s });
    bytes += Buffer.byteLength(s, 'utf8');
  }
  if (held.length === 0) return undefined;
  // Its own memory, not Node's shared pool: it is kept as long as any of its connectors, and may be transferred.
  const buf = Buffer.allocUnsafeSlow(bytes);
  let at = 0;
  for (const { c, json } of held) {
    const end = at + buf.write(json, at, 'utf8');
    c[MANIFEST_JSON] = buf.subarray(at, end);
    at = end;
  }
  return buf.buffer as ArrayBuffer;
}

/**
 * A parsed connector as it crosses between threads (pool.ts): its fields and the manifest's JSON,
 * as plain data. A structured clone of the connector itself would call the accessor and copy the
 * manifest as objects.
 */
export interface WireParsedConnector extends Omit<ParsedConnector, 'manifest'> {
  /** The JSON, or its bytes: a view into the chunk's buffer (a plain Uint8Array once cloned). */
  manifest_json: string | Uint8Array;
}
export type WireConnector = Exclude<ValidConnector, ParsedConnector> | WireParsedConnector;

export function toWire(c: ValidConnector): WireConnector {
  if (c.kind !== 'parsed') return c;
  return {
    kind: 'parsed', slug: c.slug, file: c.file, digest: c.digest, source_sha256: c.source_sha256, files: c.files, source_tree: c.source_tree,
    manifest_json: sourceOf(c) ?? manifestJsonOf(c),
  };
}

export function fromWire(w: WireConnector): ValidConnector {
  if (!('manifest_json' in w)) return w;
  const j = w.manifest_json;
  const c = parsedConnector(w, typeof j === 'string' ? j : Buffer.from(j.buffer, j.byteOffset, j.byteLength));
  // In the order check-file.ts sets them, so connectors from either thread share one hidden class.
  if (w.source_sha256 !== undefined) c.source_sha256 = w.source_sha256;
  if (w.files !== undefined) c.files = w.files;
  if (w.source_tree !== undefined) c.source_tree = w.source_tree;
  return c;
}

/**
 * A copy of `s` that holds no reference to a larger string. A substring of the manifest's text
 * (what the parsers return) may be a view into the whole text, which would keep every manifest's
 * text in memory as long as the substring is kept: about 3 KB per connector, 300 MB at 100,000.
 */
export function detached(s: string): string {
  return s.length < 13 ? s : (` ${s}`).slice(1);
}
