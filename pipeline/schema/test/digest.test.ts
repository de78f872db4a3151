import { describe, expect, it } from 'vitest';
import { canonicalJson, connectorDigest, manifestDigest } from '../digest.ts';
import { realisticManifest } from '../../validate/generate-tree.ts';
import jsyaml from 'js-yaml';

/** The reference definition: JSON.stringify with a replacer that sorts object keys. */
const reference = (value: unknown) =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

describe('canonicalJson', () => {
  it('equals JSON.stringify with sorted keys on every kind of value', () => {
    const samples: unknown[] = [
      null, 1, -0.5, 'x', true, [], {}, [1, 'a', null, undefined], { b: 1, a: { d: [3, { z: 1, y: undefined }], c: 'é"\n' } },
      { 'B': 1, 'a': 2, '10': 3, '9': 4, 'é': 5 }, JSON.parse('{"__proto__":{"x":1},"a":[{"c":1,"b":2}]}'), new Date(0), { d: new Date(0) }, jsyaml.load(realisticManifest('shop_x')),
    ];
    for (const s of samples) expect(canonicalJson(s)).toBe(reference(s));
  });

  it('gives the same digest whatever the key order', () => {
    expect(manifestDigest({ a: 1, b: [{ y: 2, x: 1 }] })).toBe(manifestDigest({ b: [{ x: 1, y: 2 }], a: 1 }));
    expect(manifestDigest({ a: 1 })).not.toBe(manifestDigest({ a: 2 }));
  });
});

describe('connectorDigest', () => {
  const manifest = { provider_slug: 'shop', scopes: [{ name: 'read' }] };
  const code = [
    { path: 'server.ts', sha256: 'a'.repeat(64) },
    { path: 'lib/handlers.ts', sha256: 'b'.repeat(64) },
  ];

  it('is the manifest digest for a folder that holds only its manifest, whatever its raw bytes hash to', () => {
    expect(connectorDigest(manifest, [])).toBe(manifestDigest(manifest));
    expect(connectorDigest(manifest, [{ path: 'manifest.yaml', sha256: 'c'.repeat(64) }])).toBe(manifestDigest(manifest));
  });

  it('covers every other file by path and bytes, in any order', () => {
    const d = connectorDigest(manifest, code);
    expect(d).not.toBe(manifestDigest(manifest));
    expect(connectorDigest(manifest, [...code].reverse())).toBe(d);
    expect(connectorDigest(manifest, [code[0]!, { ...code[1]!, sha256: 'd'.repeat(64) }])).not.toBe(d);
    expect(connectorDigest(manifest, [code[0]!, { ...code[1]!, path: 'lib/other.ts' }])).not.toBe(d);
    expect(connectorDigest(manifest, [code[0]!])).not.toBe(d);
    expect(connectorDigest({ ...manifest, display_name: 'x' }, code)).not.toBe(d);
  });

  it('does not depend on the manifest file\'s raw bytes (a comment), only on its meaning', () => {
    const withManifest = (sha: string) => [...code, { path: 'manifest.yaml', sha256: sha }];
    expect(connectorDigest(manifest, withManifest('e'.repeat(64)))).toBe(connectorDigest(manifest, withManifest('f'.repeat(64))));
  });
});
