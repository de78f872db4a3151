/**
 * What each scope looks like as an MCP tool: name, description, annotations and metadata.
 * Pure: a function of the parsed manifest, so the mapping is unit-tested without a server.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Manifest, ManifestScope, ScopeAccess } from '../schema/manifest.ts';
import { toolNamesForScopes } from './tool-names.ts';

/** `_meta` keys on every tool, so a host can find the real scope behind a sanitised tool name. */
export const META_SCOPE = 'connector-factory/scope';
export const META_PROVIDER = 'connector-factory/provider_slug';
export const META_REQUIRES_FIREARM = 'connector-factory/requires_firearm';
export const META_FIREARM_TYPE = 'connector-factory/firearm_type';
/** `read` or `write`: what the tool is announced as (a firearm scope, or one without `access`, is `write`). */
export const META_ACCESS = 'connector-factory/access';

export interface ToolSpec {
  scope: ManifestScope;
  name: string;
  title: string;
  description: string;
  annotations: ToolAnnotations;
  meta: Record<string, unknown>;
}

export type ToolSpecsResult = { ok: true; specs: ToolSpec[] } | { ok: false; message: string };

/**
 * The MCP tool annotations of a scope (hints only: the firearm gate is what enforces):
 * - `access: read` (never a firearm scope): readOnlyHint true; reading has no effect to repeat,
 *   so idempotent, and nothing is destroyed.
 * - a firearm scope: readOnlyHint false, destructiveHint true (it can spend money, destroy data,
 *   speak for the business or deploy code), idempotentHint false.
 * - any other scope (`access: write`, or unset, which means "may write"): readOnlyHint false;
 *   destructiveHint false, since a scope that can destroy must carry a firearm; idempotentHint
 *   false, since nothing says a repeat is harmless.
 * openWorldHint is true for all: every tool talks to the provider.
 */
export function annotationsFor(scope: ManifestScope, title: string): ToolAnnotations {
  const access = effectiveAccess(scope);
  const firearm = scope.requires_firearm;
  return {
    title,
    readOnlyHint: access === 'read',
    destructiveHint: firearm,
    idempotentHint: access === 'read',
    openWorldHint: true,
  };
}

/** `read` only when the manifest says so and the scope carries no firearm; else `write`. */
export function effectiveAccess(scope: ManifestScope): ScopeAccess {
  return scope.access === 'read' && !scope.requires_firearm ? 'read' : 'write';
}

const ACCESS_LINE: Record<ScopeAccess | 'unset', string> = {
  read: 'Access: read only.',
  write: 'Access: write (it can change data at the provider).',
  unset: 'Access: not declared, so it may change data at the provider.',
};

/** One tool per scope, in manifest order; names from tool-names.ts, annotations from annotationsFor. */
export function toolSpecsFor(manifest: Manifest): ToolSpecsResult {
  const mapped = toolNamesForScopes(manifest.scopes.map((s) => s.name));
  if (!mapped.ok) return mapped;

  const unarmed = manifest.scopes.find((s) => s.requires_firearm && s.firearm_type === undefined);
  if (unarmed) {
    return {
      ok: false,
      message: `scope "${unarmed.name}" requires a firearm but names no firearm_type; add one from pipeline/catalog/firearm-types.yaml.`,
    };
  }
  const armedReader = manifest.scopes.find((s) => s.requires_firearm && s.access === 'read');
  if (armedReader) {
    return {
      ok: false,
      message: `scope "${armedReader.name}" requires a firearm but says access: read; a firearm scope is always write. Set access: write or remove the line.`,
    };
  }

  const specs = manifest.scopes.map((scope): ToolSpec => {
    const name = mapped.names.get(scope.name) ?? scope.name;
    const firearm = scope.requires_firearm ? scope.firearm_type : undefined;
    const lines = [
      scope.description,
      '',
      `Scope: ${scope.name} (${manifest.display_name}).`,
      ACCESS_LINE[firearm !== undefined ? 'write' : (scope.access ?? 'unset')],
    ];
    if (firearm !== undefined) {
      lines.push(
        `Firearm: ${firearm}. It runs only under a ${firearm} licence a human operator granted, or their approval of ` +
          'this exact call; otherwise it answers firearm_licence_required with a request_id and an approve_url to show the user.',
      );
    }
    return {
      scope,
      name,
      title: `${manifest.display_name}: ${scope.name}`,
      description: lines.join('\n'),
      annotations: annotationsFor(scope, `${manifest.display_name}: ${scope.name}`),
      meta: {
        [META_PROVIDER]: manifest.provider_slug,
        [META_SCOPE]: scope.name,
        [META_ACCESS]: effectiveAccess(scope),
        [META_REQUIRES_FIREARM]: scope.requires_firearm,
        ...(firearm !== undefined ? { [META_FIREARM_TYPE]: firearm } : {}),
      },
    };
  });
  return { ok: true, specs };
}
