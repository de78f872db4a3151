import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal data always serializes equally.
 * Same output as JSON.stringify with a key-sorting replacer (undefined members dropped, undefined
 * in arrays as null), written out by hand because the sentinel digests 10,000 manifests per run.
 */
export function canonicalJson(value: unknown): string {
  return write(value) ?? 'null';
}

function write(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object') {
    return typeof v === 'function' || typeof v === 'symbol' ? undefined : JSON.stringify(v);
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return JSON.stringify(v);
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + (write(v[i]) ?? 'null');
    return `${out}]`;
  }
  const keys = Object.keys(v).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  // The replacer's rebuilt object lists integer-like keys first, in numeric order (JS property order).
  const ints = keys.filter(isArrayIndex);
  if (ints.length) keys.splice(0, keys.length, ...ints.sort((a, b) => Number(a) - Number(b)), ...keys.filter((k) => !isArrayIndex(k)));
  let out = '{';
  let first = true;
  for (const k of keys) {
    const s = write((v as Record<string, unknown>)[k]);
    if (s === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${s}`;
    first = false;
  }
  return `${out}}`;
}

const isArrayIndex = (k: string): boolean => /^(?:0|[1-9][0-9]*)$/.test(k) && Number(k) < 4294967295;

/**
 * The manifest digest: sha256 (hex) of the canonical JSON of the parsed manifest (defaults applied).
 * Formatting and comments in the YAML do not change it; any change of meaning does.
 * Approval is of one exact digest, and the sentinel skips providers whose digest is unchanged.
 */
export function manifestDigest(manifest: unknown): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}
