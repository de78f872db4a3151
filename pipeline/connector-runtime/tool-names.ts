/**
 * Scope name → MCP tool name, deterministically.
 *
 * MCP tool names are 1..128 characters of [A-Za-z0-9_.-] (SEP-986), while a provider's scope can be
 * `chat:write` or `https://www.googleapis.com/auth/youtube.upload`. The mapping must not depend on
 * the order of scopes in the manifest, so an agent's saved tool name keeps working when an author
 * reorders or adds scopes (unless the new scope collides, which the hash suffix then settles).
 */
import { createHash } from 'node:crypto';

export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
const MAX_TOOL_NAME = 128;
/** Tool names that are already clean: allowed characters, and no leading or trailing dot or dash
 * (the SDK warns about those because some clients split on them). */
const CLEAN_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;

/** The readable part of a tool name: runs of disallowed characters become one `_`, and the edges
 * are trimmed of `_`, `.` and `-`. Lossy: `chat:write` and `chat/write` both become `chat_write`. */
export function sanitizeScopeName(scope: string): string {
  const replaced = scope.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/^[_.-]+|[_.-]+$/g, '');
  return replaced.length > 0 ? replaced : 'scope';
}

/** Eight hex characters of SHA-256 of the real scope name: what keeps lossy names apart. */
export function scopeHash(scope: string): string {
  return createHash('sha256').update(scope, 'utf8').digest('hex').slice(0, 8);
}

function withHash(base: string, scope: string): string {
  const suffix = `_${scopeHash(scope)}`;
  return base.slice(0, MAX_TOOL_NAME - suffix.length) + suffix;
}

export type ToolNameResult =
  | { ok: true; names: Map<string, string> }
  | { ok: false; message: string };

/**
 * Tool names for every scope of one connector, keyed by scope name.
 *
 * Rule: a scope whose name is already a clean tool name keeps it. Any other scope gets its
 * sanitised name, plus `_<hash>` when that name is too long or is also claimed by another scope
 * (a clean scope name or another sanitised one). The rule looks only at the set of names, never
 * their order.
 */
export function toolNamesForScopes(scopes: readonly string[]): ToolNameResult {
  const unique = [...new Set(scopes)];
  const clean = new Set(unique.filter((s) => s.length <= MAX_TOOL_NAME && CLEAN_NAME.test(s)));
  const sanitizedCount = new Map<string, number>();
  for (const s of unique) {
    if (clean.has(s)) continue;
    const base = sanitizeScopeName(s);
    sanitizedCount.set(base, (sanitizedCount.get(base) ?? 0) + 1);
  }

  const names = new Map<string, string>();
  for (const s of unique) {
    if (clean.has(s)) {
      names.set(s, s);
      continue;
    }
    const base = sanitizeScopeName(s);
    const collides = clean.has(base) || (sanitizedCount.get(base) ?? 0) > 1;
    names.set(s, collides || base.length > MAX_TOOL_NAME ? withHash(base, s) : base);
  }

  // A hashed name could in theory equal another scope's literal name; refuse rather than guess.
  const owners = new Map<string, string>();
  for (const [scope, tool] of names) {
    const other = owners.get(tool);
    if (other !== undefined) {
      return {
        ok: false,
        message: `scopes "${other}" and "${scope}" both map to the MCP tool name "${tool}"; rename one of them in manifest.yaml.`,
      };
    }
    owners.set(tool, scope);
  }
  return { ok: true, names };
}
