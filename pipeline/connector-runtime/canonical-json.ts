/**
 * The canonical JSON of a tool call's arguments and its sha256: what a one-shot approval binds to.
 * Object keys sorted (by UTF-16 code units, as JavaScript sorts), no whitespace, `undefined`
 * members dropped as JSON.stringify drops them, so the same arguments always give the same digest
 * whatever order the client sent their keys in. Pure.
 */
import { createHash } from 'node:crypto';

/** The value with every object's keys in sorted order (a plain JSON value; functions and undefined dropped). */
export function canonicalValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    // Non-finite numbers become null, as in JSON.
    return typeof value === 'number' && !Number.isFinite(value) ? null : value;
  }
  if (Array.isArray(value)) return value.map((v) => (v === undefined || typeof v === 'function' ? null : canonicalValue(v)));
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') return canonicalValue(json.call(value));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
    out[key] = canonicalValue(member);
  }
  return out;
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(canonicalValue(value ?? {}));
}

/** sha256 (hex) of the canonical JSON of `args` (absent arguments are `{}`). */
export function argumentsSha256(args: unknown): string {
  return createHash('sha256').update(canonicalJson(args)).digest('hex');
}
