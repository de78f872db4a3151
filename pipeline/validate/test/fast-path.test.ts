/**
 * The fast path may only accept what the full positional validator accepts, with the same value,
 * digest and slug position. Differential: committed manifests and tricky variants go through both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fastParse } from '../fast-path.ts';
import { realisticManifest } from '../generate-tree.ts';
import { validateManifestText, validateManifestTextFully } from '../manifest.ts';
import { REPO_ROOT, VALID, edit, realCatalog } from './helpers.ts';

const catalog = realCatalog();
const committed = readdirSync(path.join(REPO_ROOT, 'connectors'))
  .filter((f) => !f.startsWith('.'))
  .map((f) => [f, readFileSync(path.join(REPO_ROOT, 'connectors', f, 'manifest.yaml'), 'utf8')] as const);

const variants: [string, string][] = [
  ['an anchor and alias', edit(VALID, 'description: Read orders', 'description: &d Read orders').replace('description: Refund orders', 'description: *d')],
  ['an explicit tag', edit(VALID, 'display_name: Acme Shop', 'display_name: !!str Acme Shop')],
  ['a block scalar', edit(VALID, 'description: A test shop.', 'description: |\n  A test shop.')],
  ['a folded scalar', edit(VALID, 'description: A test shop.', 'description: >-\n  A test\n  shop.')],
  ['a multi-line plain scalar', edit(VALID, 'description: A test shop.', 'description: A test\n  shop.')],
  ['quoted strings with escapes', edit(VALID, 'description: A test shop.', 'description: "A \\"test\\" shop \\u00e9"')],
  ['a YAML directive', `%YAML 1.2\n---\n${VALID}`],
  ['a second document', `${VALID}---\n`],
  ['a tab', edit(VALID, 'description: A test shop.', 'description: A\ttest shop.')],
  ['a merge key', `${VALID}<<: {a: 1}\n`],
  ['a float-looking name (+.5)', edit(VALID, 'display_name: Acme Shop', 'display_name: +.5')],
  ['an octal-looking name', edit(VALID, 'display_name: Acme Shop', 'display_name: 0o17')],
  ['a binary-looking name (a string in YAML 1.2)', edit(VALID, 'display_name: Acme Shop', 'display_name: 0b101')],
  ['an underscored number (a string in YAML 1.2)', edit(VALID, 'display_name: Acme Shop', 'display_name: 1_000')],
  ['a quoted number', edit(VALID, 'display_name: Acme Shop', 'display_name: "42"')],
  ['schema_version 0x1', edit(VALID, 'schema_version: 1', 'schema_version: 0x1')],
  ['schema_version 1.0', edit(VALID, 'schema_version: 1', 'schema_version: 1.0')],
  ['a duplicate key', edit(VALID, 'display_name: Acme Shop', 'display_name: Acme Shop\ndisplay_name: B')],
  ['yes as a boolean', edit(VALID, 'requires_firearm: false', 'requires_firearm: yes')],
  ['True capitalised', edit(VALID, 'requires_firearm: false', 'requires_firearm: False')],
  ['a null description', edit(VALID, 'description: A test shop.', 'description: ~')],
  ['a flow mapping', edit(VALID, '  - raw: order_count\n    standard: orders\n', '  - {raw: order_count, standard: orders}\n')],
  ['a comment after a value', edit(VALID, 'display_name: Acme Shop', 'display_name: Acme Shop # the name')],
  ['CRLF line ends', VALID.replace(/\n/g, '\r\n')],
  ['a BOM-free unicode name', edit(VALID, 'display_name: Acme Shop', 'display_name: Äcme Shöp ✓')],
  ['a warning', edit(VALID, 'name: read_orders', 'name: write_orders')],
];

describe('fast path', () => {
  it('accepts the committed and generated manifests (so it is actually used)', () => {
    for (const [, text] of committed) expect(fastParse(text)).toBeDefined();
    expect(fastParse(realisticManifest('gen_1'))).toBeDefined();
  });

  it.each([...committed.map(([f, t]) => [`connectors/${f}`, t] as [string, string]), ['the generated manifest', realisticManifest('acme')] as [string, string], ...variants])(
    'agrees with the full validator on %s',
    (_what, text) => {
      const slug = text.match(/^provider_slug:\s*(\S+)/m)?.[1] ?? 'acme';
      const fast = validateManifestText(text, 'f', catalog, slug);
      const full = validateManifestTextFully(text, 'f', catalog, slug);
      expect(fast).toEqual(full);
    },
  );
});
