/**
 * A valid connector holds its manifest as the canonical JSON (parsed-connector.ts), not as objects,
 * and reads it back as the manifest the schema returns, whether it was validated on the main
 * thread, packed with its chunk outside the heap, or sent from a worker thread. What plan and sync
 * see must not change: the same values, the same digest, an ordinary `manifest` property.
 */
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { canonicalJson, connectorDigest, connectorDigestOfJson, manifestDigest } from '../../schema/digest.ts';
import { manifestSchema } from '../../schema/manifest.ts';
import { validateManifestText } from '../manifest.ts';
import { fromWire, manifestJsonOf, packManifests, toWire } from '../parsed-connector.ts';
import type { ParsedConnector } from '../types.ts';
import { edit, manifestFor, realCatalog } from './helpers.ts';

const FILE = 'connectors/acme/manifest.yaml';
const validOf = (text: string): ParsedConnector => {
  const r = validateManifestText(text, FILE, realCatalog(), 'acme');
  expect(r.errors).toEqual([]);
  expect(r.connector?.kind).toBe('parsed');
  return r.connector as ParsedConnector;
};
/** What the schema returns for manifestFor('acme'), read by js-yaml. */
const expected = () => manifestSchema.parse(jsyaml.load(manifestFor('acme')));
/** Multi-byte UTF-8 (two, three and four bytes), which the packed bytes must give back as written. */
const WORLDLY = 'Café, naïve — 日本語 😀';

describe('a parsed connector', () => {
  it('holds the canonical JSON and reads it back as the manifest the schema returns, with the same digest', () => {
    const c = validOf(manifestFor('acme'));
    expect(c.manifest).toEqual(expected());
    expect(manifestJsonOf(c)).toBe(canonicalJson(expected()));
    expect(c.digest).toBe(manifestDigest(expected()));
  });

  it('gives a new object at each read: changing one changes nothing the connector holds', () => {
    const c = validOf(manifestFor('acme'));
    const read = c.manifest;
    read.display_name = 'Changed';
    read.scopes.pop();
    expect(c.manifest).not.toBe(read);
    expect(c.manifest).toEqual(expected());
  });

  it('shows an ordinary manifest property to JSON, spreads and structured clones', () => {
    const c = validOf(manifestFor('acme'));
    expect(Object.keys(c)).toContain('manifest');
    expect(JSON.parse(JSON.stringify(c)).manifest).toEqual(expected());
    expect({ ...c }.manifest).toEqual(expected());
    expect(structuredClone(c).manifest).toEqual(expected());
  });

  it('packed with its chunk outside the heap, reads the same, multi-byte characters included', () => {
    const worldly = edit(manifestFor('acme'), 'description: A test shop.', `description: "${WORLDLY}"`);
    const results = [{ connector: validOf(worldly) }, {}, { connector: validOf(manifestFor('acme')) }];
    const json = results.map((r) => r.connector && manifestJsonOf(r.connector));
    const packed = packManifests(results);
    expect(packed?.byteLength).toBe(Buffer.byteLength(json[0]! + json[2]!, 'utf8'));
    expect(results[0]!.connector!.manifest.description).toBe(WORLDLY);
    expect(results.map((r) => r.connector && manifestJsonOf(r.connector))).toEqual(json);
    expect(results[2]!.connector!.manifest).toEqual(expected());
    // Packed once: nothing is left to pack.
    expect(packManifests(results)).toBeUndefined();
  });

  it('crosses to another thread as plain data, its chunk buffer moved, not copied', () => {
    const worldly = edit(manifestFor('acme'), 'description: A test shop.', `description: "${WORLDLY}"`);
    const c = validOf(worldly);
    Object.assign(c, { source_sha256: 'a'.repeat(64), files: [{ path: 'manifest.yaml', sha256: 'b'.repeat(64), size: 1, text: false }] });
    const packed = packManifests([{ connector: c }])!;
    const before = structuredClone(c);
    const json = manifestJsonOf(c);
    const sent = structuredClone([toWire(c)], { transfer: [packed] });
    // Moved: the sender's view of it is empty now (a worker drops its connectors once sent).
    expect(packed.byteLength).toBe(0);
    const received = fromWire(sent[0]!) as ParsedConnector;
    expect(received).toEqual(before);
    expect(received.manifest.description).toBe(WORLDLY);
    expect(manifestJsonOf(received)).toBe(json);
  });
});

describe('the connector digest from the canonical JSON', () => {
  it('is connectorDigest of the manifest, with and without other files', () => {
    const m = expected();
    const code = [{ path: 'manifest.yaml', sha256: 'c'.repeat(64) }, { path: 'src/index.ts', sha256: 'd'.repeat(64) }];
    expect(connectorDigestOfJson(canonicalJson(m), [])).toBe(connectorDigest(m, []));
    expect(connectorDigestOfJson(canonicalJson(m), code)).toBe(connectorDigest(m, code));
    expect(connectorDigestOfJson(canonicalJson(m), code)).not.toBe(manifestDigest(m));
  });
});
