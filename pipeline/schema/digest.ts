import { createHash } from 'node:crypto';

/** JSON with object keys sorted at every level, so equal data always serializes equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * The manifest digest: sha256 (hex) of the canonical JSON of the parsed manifest (defaults applied).
 * Formatting and comments in the YAML do not change it; any change of meaning does.
 * Approval is of one exact digest, and the sentinel skips providers whose digest is unchanged.
 */
export function manifestDigest(manifest: unknown): string {
  return createHash('sha256').update(canonicalJson(manifest)).digest('hex');
}
