import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../schema/manifest.ts';
import { sanitizeScopeName, scopeHash, TOOL_NAME_PATTERN, toolNamesForScopes } from '../tool-names.ts';
import { META_FIREARM_TYPE, META_SCOPE, toolSpecsFor } from '../tool-specs.ts';

const YOUTUBE = 'https://www.googleapis.com/auth/youtube.upload';

function names(scopes: string[]): Map<string, string> {
  const result = toolNamesForScopes(scopes);
  if (!result.ok) throw new Error(result.message);
  return result.names;
}

describe('scope name → MCP tool name', () => {
  it('keeps a scope name that is already a clean tool name', () => {
    expect(names(['read_orders', 'items.list', 'v2-read']).get('read_orders')).toBe('read_orders');
    expect(names(['items.list']).get('items.list')).toBe('items.list');
    expect(names(['v2-read']).get('v2-read')).toBe('v2-read');
  });

  it('maps colons, slashes and URLs to underscores, readably', () => {
    const mapped = names(['chat:write', YOUTUBE, 'repo:status']);
    expect(mapped.get('chat:write')).toBe('chat_write');
    expect(mapped.get('repo:status')).toBe('repo_status');
    expect(mapped.get(YOUTUBE)).toBe('https_www.googleapis.com_auth_youtube.upload');
  });

  it('trims edges an MCP client may split on: leading or trailing dots, dashes and underscores', () => {
    const mapped = names(['-admin-', '.hidden', 'a:', '::::']);
    expect(mapped.get('-admin-')).toBe('admin');
    expect(mapped.get('.hidden')).toBe('hidden');
    expect(mapped.get('a:')).toBe('a');
    expect(mapped.get('::::')).toBe('scope');
  });

  it('every mapped name matches the MCP tool name pattern, even for 200-character scopes', () => {
    const long = `https://example.com/${'x/'.repeat(88)}end`;
    expect(long.length).toBeLessThanOrEqual(200);
    const mapped = names([long, 'chat:write', '~!@#$%^&*()', YOUTUBE, 'a'.repeat(200)]);
    for (const tool of mapped.values()) {
      expect(tool).toMatch(TOOL_NAME_PATTERN);
      expect(tool).not.toMatch(/^[.-]|[.-]$/);
    }
    expect(mapped.get('a'.repeat(200))).toBe(`${'a'.repeat(119)}_${scopeHash('a'.repeat(200))}`);
  });

  it('two scopes that sanitise alike get distinct names, and a clean scope keeps its own', () => {
    const mapped = names(['chat_write', 'chat:write', 'chat/write']);
    expect(mapped.get('chat_write')).toBe('chat_write');
    expect(mapped.get('chat:write')).toBe(`chat_write_${scopeHash('chat:write')}`);
    expect(mapped.get('chat/write')).toBe(`chat_write_${scopeHash('chat/write')}`);
    expect(new Set(mapped.values()).size).toBe(3);
  });

  it('the mapping does not depend on the order of scopes', () => {
    const scopes = ['chat:write', 'chat_write', YOUTUBE, 'chat/write', 'read'];
    const forward = names(scopes);
    const backward = names([...scopes].reverse());
    for (const s of scopes) expect(backward.get(s)).toBe(forward.get(s));
  });

  it('refuses, naming both scopes, when a hashed name equals another scope literally', () => {
    const hashed = `chat_write_${scopeHash('chat:write')}`;
    const result = toolNamesForScopes(['chat_write', 'chat:write', hashed]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('"chat:write"');
  });

  it('sanitizeScopeName collapses runs of disallowed characters into one underscore', () => {
    expect(sanitizeScopeName('a:::b///c')).toBe('a_b_c');
  });
});

describe('tool annotations from the manifest', () => {
  const manifest = manifestSchema.parse({
    schema_version: 1,
    provider_slug: 'tricky',
    display_name: 'Tricky',
    auth_mode: 'none',
    scopes: [
      { name: 'chat:write', description: 'Post messages', requires_firearm: true, firearm_type: 'CLIENT_VOICE' },
      { name: YOUTUBE, description: 'Upload videos', requires_firearm: true, firearm_type: 'SOCIAL_PUBLISH' },
      { name: 'read_orders', description: 'Read orders', requires_firearm: false },
    ],
  });

  it('firearm scopes are destructive and not read-only; others are read-only', () => {
    const result = toolSpecsFor(manifest);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const byScope = new Map(result.specs.map((s) => [s.scope.name, s]));
    expect(byScope.get('chat:write')?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byScope.get(YOUTUBE)?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byScope.get('read_orders')?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false });
  });

  it('keeps the real scope and firearm type in _meta and the description', () => {
    const result = toolSpecsFor(manifest);
    if (!result.ok) throw new Error(result.message);
    const upload = result.specs.find((s) => s.scope.name === YOUTUBE);
    expect(upload?.name).toBe('https_www.googleapis.com_auth_youtube.upload');
    expect(upload?.meta[META_SCOPE]).toBe(YOUTUBE);
    expect(upload?.meta[META_FIREARM_TYPE]).toBe('SOCIAL_PUBLISH');
    expect(upload?.description).toContain(`Scope: ${YOUTUBE}`);
    expect(upload?.description).toContain('SOCIAL_PUBLISH');
    const read = result.specs.find((s) => s.scope.name === 'read_orders');
    expect(read?.meta[META_FIREARM_TYPE]).toBeUndefined();
  });

  it('a firearm scope without a firearm_type is refused rather than guessed', () => {
    const bad = { ...manifest, scopes: [{ name: 'wipe', description: 'Wipe', requires_firearm: true }] };
    const result = toolSpecsFor(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('"wipe"');
  });
});
