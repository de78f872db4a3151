/**
 * What each scope looks like as an MCP tool: name, description, annotations and metadata.
 * Pure: a function of the parsed manifest, so the mapping is unit-tested without a server.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { Manifest, ManifestScope } from '../schema/manifest.ts';
import { toolNamesForScopes } from './tool-names.ts';

/** `_meta` keys on every tool, so a host can find the real scope behind a sanitised tool name. */
export const META_SCOPE = 'connector-factory/scope';
export const META_PROVIDER = 'connector-factory/provider_slug';
export const META_REQUIRES_FIREARM = 'connector-factory/requires_firearm';
export const META_FIREARM_TYPE = 'connector-factory/firearm_type';

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
 * One tool per scope, in manifest order. A firearm scope is destructive (readOnlyHint false,
 * destructiveHint true); any other scope is read-only, since the manifest's only safety signal is
 * `requires_firearm` and a scope that can do harm must carry a firearm.
 */
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

  const specs = manifest.scopes.map((scope): ToolSpec => {
    const name = mapped.names.get(scope.name) ?? scope.name;
    const firearm = scope.requires_firearm ? scope.firearm_type : undefined;
    const lines = [scope.description, '', `Scope: ${scope.name} (${manifest.display_name}).`];
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
      annotations: {
        title: `${manifest.display_name}: ${scope.name}`,
        readOnlyHint: firearm === undefined,
        destructiveHint: firearm !== undefined,
        openWorldHint: true,
      },
      meta: {
        [META_PROVIDER]: manifest.provider_slug,
        [META_SCOPE]: scope.name,
        [META_REQUIRES_FIREARM]: scope.requires_firearm,
        ...(firearm !== undefined ? { [META_FIREARM_TYPE]: firearm } : {}),
      },
    };
  });
  return { ok: true, specs };
}
