/**
 * Scope name → MCP tool name, deterministically.
 *
 * A provider's scope can be `chat:write` or `https://www.googleapis.com/auth/youtube.readonly`,
 * while many LLM function-calling APIs accept only `^[a-zA-Z0-9_-]{1,64}$` as a tool name (stricter
 * than MCP's own 1..128 of [A-Za-z0-9_.-]), so every name fits that. Names are:
 * - readable: `chat_write`, `youtube_readonly` (a URL scope is named after its last path segment);
 * - stable: a function of the set of scope names, never of their order, so reordering a manifest
 *   renames nothing; adding a scope renames another only when both derive the same name and the new
 *   one wins it (see toolNamesForScopes);
 * - unique: scopes that derive the same name are told apart by a hash of the real scope.
 * The real scope stays in the tool's description and `_meta` (tool-specs.ts).
 */
import { createHash } from 'node:crypto';

/** What a tool name may be: what LLM function-calling APIs accept, which MCP accepts too. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
export const MAX_TOOL_NAME = 64;
/** Already a tool name as it stands: allowed characters, no leading or trailing `-` (the MCP SDK
 * warns about those because some clients split on them). */
const CLEAN_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;
const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * The readable part of a tool name. A URL scope contributes its last path segment (its host when
 * it has no path): `https://www.googleapis.com/auth/youtube.readonly` → `youtube_readonly`. Runs of
 * characters outside [A-Za-z0-9_-] become one `_`, and `_`/`-` are trimmed from the edges. Lossy
 * (`chat:write` and `chat/write` both give `chat_write`): toolNamesForScopes settles collisions.
 */
export function sanitizeScopeName(scope: string): string {
  const replaced = readablePart(scope).replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^[_-]+|[_-]+$/g, '');
  return replaced.length > 0 ? replaced : 'scope';
}

function readablePart(scope: string): string {
  if (!URL_LIKE.test(scope)) return scope;
  let url: URL;
  try {
    url = new URL(scope);
  } catch {
    return scope;
  }
  const segments = url.pathname.split('/').filter((s) => /[A-Za-z0-9]/.test(s));
  return segments.at(-1) ?? (url.hostname || scope);
}

/** Eight hex characters of SHA-256 of the real scope name: what keeps lossy names apart. */
export function scopeHash(scope: string): string {
  return createHash('sha256').update(scope, 'utf8').digest('hex').slice(0, 8);
}

function withHash(base: string, scope: string): string {
  const suffix = `_${scopeHash(scope)}`;
  return base.slice(0, MAX_TOOL_NAME - suffix.length).replace(/[_-]+$/, '') + suffix;
}

export type ToolNameResult =
  | { ok: true; names: Map<string, string> }
  | { ok: false; message: string };

/**
 * Tool names for every scope of one connector, keyed by scope name.
 *
 * Each scope has a wanted name: the scope name itself when it is already a clean tool name of at
 * most 64 characters, else its sanitised name (sanitizeScopeName). Of the scopes that want one
 * name, one gets it: the scope whose name is exactly that (so `chat_write` keeps `chat_write`),
 * else the smallest scope name in code-unit order. Every other scope, and every scope whose wanted
 * name is over 64 characters, gets the sanitised name cut short plus `_<8 hex of SHA-256>`.
 */
export function toolNamesForScopes(scopes: readonly string[]): ToolNameResult {
  const unique = [...new Set(scopes)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const wanted = new Map<string, string>();
  for (const s of unique) wanted.set(s, s.length <= MAX_TOOL_NAME && CLEAN_NAME.test(s) ? s : sanitizeScopeName(s));

  const holder = new Map<string, string>();
  for (const s of unique) {
    const name = wanted.get(s)!;
    if (name.length > MAX_TOOL_NAME) continue;
    const current = holder.get(name);
    // Sorted, so the first claimant is the smallest; an exact owner takes the name from it.
    if (current === undefined || (s === name && current !== name)) holder.set(name, s);
  }

  const names = new Map<string, string>();
  for (const s of scopes) {
    if (names.has(s)) continue;
    const name = wanted.get(s)!;
    names.set(s, holder.get(name) === s ? name : withHash(sanitizeScopeName(s), s));
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
