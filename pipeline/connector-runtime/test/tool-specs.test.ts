import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { manifestSchema } from '../../schema/manifest.ts';
import { parseManifestText } from '../manifest-file.ts';
import { MAX_TOOL_NAME, sanitizeScopeName, scopeHash, TOOL_NAME_PATTERN, toolNamesForScopes } from '../tool-names.ts';
import { META_ACCESS, META_FIREARM_TYPE, META_SCOPE, toolSpecsFor } from '../tool-specs.ts';

const YOUTUBE = 'https://www.googleapis.com/auth/youtube.upload';
const GOOGLE = (scope: string) => `https://www.googleapis.com/auth/${scope}`;
/** What LLM function-calling APIs accept as a tool name. */
const LLM_TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function names(scopes: string[]): Map<string, string> {
  const result = toolNamesForScopes(scopes);
  if (!result.ok) throw new Error(result.message);
  return result.names;
}

describe('scope name → MCP tool name', () => {
  it('keeps a scope name that is already a clean tool name', () => {
    const mapped = names(['read_orders', 'v2-read', 'delete_repo']);
    expect([...mapped.entries()]).toEqual([
      ['read_orders', 'read_orders'],
      ['v2-read', 'v2-read'],
      ['delete_repo', 'delete_repo'],
    ]);
  });

  it('maps colons, slashes and dots to underscores, readably', () => {
    const mapped = names(['chat:write', 'repo:status', 'items.list', 'admin:repo_hook']);
    expect(mapped.get('chat:write')).toBe('chat_write');
    expect(mapped.get('repo:status')).toBe('repo_status');
    expect(mapped.get('items.list')).toBe('items_list');
    expect(mapped.get('admin:repo_hook')).toBe('admin_repo_hook');
  });

  it('names a URL scope after its last path segment: youtube_readonly, not https_www.googleapis.com_...', () => {
    const mapped = names([GOOGLE('youtube.readonly'), GOOGLE('yt-analytics-monetary.readonly'), GOOGLE('youtube'), YOUTUBE]);
    expect(mapped.get(GOOGLE('youtube.readonly'))).toBe('youtube_readonly');
    expect(mapped.get(GOOGLE('yt-analytics-monetary.readonly'))).toBe('yt-analytics-monetary_readonly');
    expect(mapped.get(GOOGLE('youtube'))).toBe('youtube');
    expect(mapped.get(YOUTUBE)).toBe('youtube_upload');
    expect(names(['https://api.example.com/']).get('https://api.example.com/')).toBe('api_example_com');
  });

  it('trims edges an MCP client may split on: leading or trailing dashes and underscores', () => {
    const mapped = names(['-admin-', '.hidden', 'a:', '::::']);
    expect(mapped.get('-admin-')).toBe('admin');
    expect(mapped.get('.hidden')).toBe('hidden');
    expect(mapped.get('a:')).toBe('a');
    expect(mapped.get('::::')).toBe('scope');
  });

  it('every name fits ^[a-zA-Z0-9_-]{1,64}$, even for 200-character scopes, cut short with a hash', () => {
    const long = `https://example.com/${'x/'.repeat(88)}end`;
    const longSegment = `https://example.com/${'segment.'.repeat(22)}end`;
    expect(long.length).toBeLessThanOrEqual(200);
    const mapped = names([long, longSegment, 'chat:write', '~!@#$%^&*()', YOUTUBE, 'a'.repeat(200), `${'b'.repeat(64)}`, `${'c'.repeat(65)}`]);
    for (const tool of mapped.values()) {
      expect(tool).toMatch(LLM_TOOL_NAME);
      expect(tool).toMatch(TOOL_NAME_PATTERN);
      expect(tool).not.toMatch(/^[-_]|-$/);
    }
    expect(MAX_TOOL_NAME).toBe(64);
    expect(mapped.get('a'.repeat(200))).toBe(`${'a'.repeat(55)}_${scopeHash('a'.repeat(200))}`);
    expect(mapped.get('b'.repeat(64))).toBe('b'.repeat(64));
    expect(mapped.get('c'.repeat(65))).toBe(`${'c'.repeat(55)}_${scopeHash('c'.repeat(65))}`);
    expect(mapped.get(long)).toBe('end');
    expect(mapped.get(longSegment)).toBe(`${'segment_'.repeat(7)}${scopeHash(longSegment)}`);
  });

  it('two scopes that sanitise alike get distinct names; an exact owner keeps the plain name', () => {
    const mapped = names(['chat_write', 'chat:write', 'chat/write']);
    expect(mapped.get('chat_write')).toBe('chat_write');
    expect(mapped.get('chat:write')).toBe(`chat_write_${scopeHash('chat:write')}`);
    expect(mapped.get('chat/write')).toBe(`chat_write_${scopeHash('chat/write')}`);
    expect(new Set(mapped.values()).size).toBe(3);
  });

  it('without an exact owner, the smallest scope name keeps the plain name and the others get a hash', () => {
    const mapped = names(['https://b.example/read', 'https://a.example/read', 'chat:read']);
    expect(mapped.get('https://a.example/read')).toBe('read');
    expect(mapped.get('https://b.example/read')).toBe(`read_${scopeHash('https://b.example/read')}`);
    expect(mapped.get('chat:read')).toBe('chat_read');
  });

  it('the mapping does not depend on the order of scopes', () => {
    const scopes = ['chat:write', 'chat_write', YOUTUBE, 'chat/write', 'read', 'https://b.example/read', 'https://a.example/read'];
    const forward = names(scopes);
    const backward = names([...scopes].reverse());
    for (const s of scopes) expect(backward.get(s)).toBe(forward.get(s));
  });

  it('adding a scope renames no other scope unless it derives the same name and wins it', () => {
    const before = names([GOOGLE('youtube.readonly'), YOUTUBE, 'chat:write', 'read_orders']);
    const after = names([GOOGLE('youtube.readonly'), YOUTUBE, 'chat:write', 'read_orders', GOOGLE('youtube.force-ssl'), 'chat;write', 'write_orders']);
    for (const [scope, tool] of before) expect(after.get(scope)).toBe(tool);
    expect(after.get('chat;write')).toBe(`chat_write_${scopeHash('chat;write')}`);
    // The documented exceptions: the exact owner of the name, or a colliding scope that sorts
    // first ('/' < ':'), takes the plain name when it arrives.
    expect(names(['chat:write', 'chat_write']).get('chat:write')).toBe(`chat_write_${scopeHash('chat:write')}`);
    expect(names(['chat:write', 'chat/write']).get('chat:write')).toBe(`chat_write_${scopeHash('chat:write')}`);
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

describe("the connectors' tool names", () => {
  const SIX = ['dummy_service', 'github', 'shopify', 'slack', 'stripe', 'youtube'];
  const slugs = readdirSync(join(REPO_ROOT, 'connectors'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(REPO_ROOT, 'connectors', d.name, 'manifest.yaml')))
    .map((d) => d.name)
    .sort();
  const specsOf = (slug: string) => {
    const file = join(REPO_ROOT, 'connectors', slug, 'manifest.yaml');
    const parsed = parseManifestText(readFileSync(file, 'utf8'), file);
    if (!parsed.ok) throw new Error(parsed.message);
    const specs = toolSpecsFor(parsed.manifest);
    if (!specs.ok) throw new Error(specs.message);
    return specs.specs;
  };

  it('include the six connectors', () => {
    expect(slugs).toEqual(expect.arrayContaining(SIX));
  });

  it.each(slugs)('%s: every tool name fits ^[a-zA-Z0-9_-]{1,64}$ and is unique, and _meta holds the real scope', (slug) => {
    const specs = specsOf(slug);
    for (const spec of specs) {
      expect(spec.name).toMatch(LLM_TOOL_NAME);
      expect(spec.meta[META_SCOPE]).toBe(spec.scope.name);
      expect(spec.description).toContain(`Scope: ${spec.scope.name} `);
    }
    expect(new Set(specs.map((s) => s.name)).size).toBe(specs.length);
  });

  it('youtube: readable names, no hash needed', () => {
    expect(specsOf('youtube').map((s) => s.name)).toEqual([
      'youtube_readonly',
      'yt-analytics_readonly',
      'yt-analytics-monetary_readonly',
      'youtube_channel-memberships_creator',
      'youtube_upload',
      'youtube_force-ssl',
      'youtube',
    ]);
  });

  it('github: notifications marks read and watches repositories, so it is not announced read-only', () => {
    const notifications = specsOf('github').find((s) => s.scope.name === 'notifications');
    expect(notifications?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false });
    expect(specsOf('github').find((s) => s.scope.name === 'read:user')?.annotations).toMatchObject({ readOnlyHint: true });
  });

  it.each(SIX)('%s: every scope says its access, and no firearm scope is read', (slug) => {
    for (const spec of specsOf(slug)) {
      expect(spec.scope.access, spec.scope.name).toBeDefined();
      if (spec.scope.requires_firearm) expect(spec.scope.access, spec.scope.name).toBe('write');
    }
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
      { name: YOUTUBE, description: 'Upload videos', requires_firearm: true, firearm_type: 'SOCIAL_PUBLISH', access: 'write' },
      { name: 'read_orders', description: 'Read orders', requires_firearm: false, access: 'read' },
      { name: 'notifications', description: 'Read notifications and mark them read', requires_firearm: false, access: 'write' },
      { name: 'undeclared', description: 'Nobody said', requires_firearm: false },
    ],
  });
  const specs = () => {
    const result = toolSpecsFor(manifest);
    if (!result.ok) throw new Error(result.message);
    return new Map(result.specs.map((s) => [s.scope.name, s]));
  };

  it('only access: read is announced read-only (and idempotent); firearm scopes are destructive', () => {
    const byScope = specs();
    const firearm = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
    expect(byScope.get('chat:write')?.annotations).toMatchObject(firearm);
    expect(byScope.get(YOUTUBE)?.annotations).toMatchObject(firearm);
    expect(byScope.get('read_orders')?.annotations).toMatchObject({ readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true });
    const mayWrite = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true };
    expect(byScope.get('notifications')?.annotations).toMatchObject(mayWrite);
    expect(byScope.get('undeclared')?.annotations).toMatchObject(mayWrite);
  });

  it('says the access in the description and _meta: unset is announced as write', () => {
    const byScope = specs();
    expect(byScope.get('read_orders')?.meta[META_ACCESS]).toBe('read');
    expect(byScope.get('read_orders')?.description).toContain('Access: read only.');
    expect(byScope.get('notifications')?.meta[META_ACCESS]).toBe('write');
    expect(byScope.get('undeclared')?.meta[META_ACCESS]).toBe('write');
    expect(byScope.get('undeclared')?.description).toContain('Access: not declared, so it may change data');
    expect(byScope.get('chat:write')?.meta[META_ACCESS]).toBe('write');
  });

  it('keeps the real scope and firearm type in _meta and the description', () => {
    const upload = specs().get(YOUTUBE);
    expect(upload?.name).toBe('youtube_upload');
    expect(upload?.meta[META_SCOPE]).toBe(YOUTUBE);
    expect(upload?.meta[META_FIREARM_TYPE]).toBe('SOCIAL_PUBLISH');
    expect(upload?.description).toContain(`Scope: ${YOUTUBE}`);
    expect(upload?.description).toContain('SOCIAL_PUBLISH');
    expect(specs().get('read_orders')?.meta[META_FIREARM_TYPE]).toBeUndefined();
  });

  it('a firearm scope without a firearm_type is refused rather than guessed', () => {
    const bad = { ...manifest, scopes: [{ name: 'wipe', description: 'Wipe', requires_firearm: true }] };
    const result = toolSpecsFor(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('"wipe"');
  });

  it('a firearm scope that says access: read is refused, never announced read-only', () => {
    const bad = { ...manifest, scopes: [{ name: 'wipe', description: 'Wipe', requires_firearm: true, firearm_type: 'CODE_DELETE', access: 'read' as const }] };
    const result = toolSpecsFor(bad);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain('"wipe" requires a firearm but says access: read');
  });
});
