/**
 * What a connector author writes: one handler per scope, keyed by the scope's exact name in
 * manifest.yaml. Handlers answer with a result (`ok(...)` or `fail(...)`), not exceptions, for
 * what can be expected to go wrong (the provider said 404, the item is gone); a throw still
 * becomes a tool error, with key values redacted.
 */
import type { z } from 'zod';
import type { Manifest, ManifestScope } from '../schema/manifest.ts';
import type { SecretValues } from './secrets.ts';

export interface HandlerContext {
  /**
   * The keys from the vault: `secrets.require('PROVIDER_X_API_KEY')`; for an oauth connector also
   * `await secrets.accessToken()` (refreshed when due; see oauth-tokens.ts).
   */
  secrets: SecretValues;
  manifest: Manifest;
  scope: ManifestScope;
  /** The MCP tool name this scope was published under. */
  tool: string;
  /** One line to stderr (stdout carries the MCP protocol), with key values redacted. */
  log: (message: string) => void;
  /** Aborted when the client cancels the call. */
  signal: AbortSignal;
}

export type HandlerOutcome =
  | { ok: true; data: Record<string, unknown>; text?: string }
  | { ok: false; code: string; message: string; details?: Record<string, unknown> };

export interface ScopeHandler<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** The tool's arguments as a zod shape, e.g. `{ id: z.string() }`; default: none. */
  input?: Shape;
  run(args: z.output<z.ZodObject<Shape>>, ctx: HandlerContext): Promise<HandlerOutcome>;
}

export type ScopeHandlers = Record<string, ScopeHandler>;

/** Declares a handler with its argument types inferred from `input`. */
export function scopeHandler<Shape extends z.ZodRawShape = Record<never, never>>(
  handler: ScopeHandler<Shape>,
): ScopeHandler {
  return handler as unknown as ScopeHandler;
}

/** A successful answer: `data` becomes the tool's structuredContent and, as JSON, its text. */
export function ok(data: Record<string, unknown>, text?: string): HandlerOutcome {
  return text === undefined ? { ok: true, data } : { ok: true, data, text };
}

/** An expected failure, reported to the client as a tool error with a stable `code`. */
export function fail(code: string, message: string, details?: Record<string, unknown>): HandlerOutcome {
  return details === undefined ? { ok: false, code, message } : { ok: false, code, message, details };
}
