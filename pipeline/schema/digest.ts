import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so equal data always serializes equally.
 * Same output as JSON.stringify with a replacer that rebuilds each object with sorted keys, built
 * the same way (a sorted copy, then one native JSON.stringify) because that is several times faster
 * than a replacer when the sentinel digests 10,000 manifests.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedCopy(value));
}

function sortedCopy(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  // Dates and the like serialize through toJSON, as with the replacer.
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return v;
  if (Array.isArray(v)) return v.map(sortedCopy);
  // Null prototype: a "__proto__" key stays an ordinary member, as Object.fromEntries keeps it.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(v).sort(byCodeUnit)) out[k] = sortedCopy((v as Record<string, unknown>)[k]);
  return out;
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The manifest digest: sha256 (hex) of the canonical JSON of the parsed manifest (defaults applied).
 * Formatting and comments in the YAML do not change it; any change of meaning does.
 * Approval is of one exact digest, and the sentinel skips providers whose digest is unchanged.
 */
export function manifestDigest(manifest: unknown): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}
