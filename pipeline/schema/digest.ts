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
  return sha256Hex(canonicalJson(manifest));
}

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The manifest's file name inside a connector folder. */
export const MANIFEST_FILE = 'manifest.yaml';

/** One file of a connector folder as the digest sees it: its path relative to the folder ('/'-separated) and the sha256 (hex) of its bytes. */
export interface FileHash {
  path: string;
  sha256: string;
}

/**
 * The connector digest: what an operator approves and what the runtime must match to get its keys.
 * It covers the whole folder: the manifest as parsed (manifestDigest, so a comment or a reformat does
 * not change it) and every other file by relative path and bytes (sha256). The order files are
 * given in does not matter. A folder that holds only its manifest has exactly the manifest digest,
 * so approvals of manifest-only connectors made before files were covered stay valid; as soon as
 * the folder holds code, the digest is of the manifest and the code together. (The two cannot
 * collide: a manifest has no top-level `files` field.)
 */
export function connectorDigest(manifest: unknown, files: readonly FileHash[]): string {
  return connectorDigestOfJson(canonicalJson(manifest), files);
}

/** The same from the manifest's canonical JSON (canonicalJson), for a caller that holds it already. */
export function connectorDigestOfJson(manifestJson: string, files: readonly FileHash[]): string {
  const others = files
    .filter((f) => f.path !== MANIFEST_FILE)
    .map((f) => [f.path, f.sha256] as const)
    .sort(([a], [b]) => byCodeUnit(a, b));
  if (others.length === 0) return sha256Hex(manifestJson);
  return sha256Hex(canonicalJson({ manifest: sha256Hex(manifestJson), files: others }));
}
