/**
 * The pipeline banner's grouping of npm start's validation problems, and where long names may wrap
 * (pure functions; the banner itself is checked in Chromium by accessibility.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { connectorSlugOf, groupProblems, locationText, plural } from '../src/lib/pipeline-problems.ts';
import { breakParts } from '../src/lib/word-breaks.ts';

const problem = (file: string, line: number, path = 'docs_url') => ({ file, line, column: 1, path, message: 'must be an https:// URL.' });

describe('groupProblems', () => {
  it('puts every problem of one file in one group, in line order, files in path order', () => {
    const groups = groupProblems([
      problem('connectors/zeta/manifest.yaml', 9),
      problem('connectors/acme_shop/manifest.yaml', 12),
      problem('connectors/zeta/manifest.yaml', 3),
      problem('pipeline/catalog/core-kpis.yaml', 1, ''),
      problem('connectors/acme_shop/manifest.yaml', 4),
    ]);
    expect(groups.map((g) => [g.file, g.slug, g.problems.map((p) => p.line)])).toEqual([
      ['connectors/acme_shop/manifest.yaml', 'acme_shop', [4, 12]],
      ['connectors/zeta/manifest.yaml', 'zeta', [3, 9]],
      ['pipeline/catalog/core-kpis.yaml', null, [1]],
    ]);
  });

  it('keeps a half-filled scaffold of 16 problems as one group of 16', () => {
    const scaffold = Array.from({ length: 16 }, (_, i) => problem('connectors/new_thing/manifest.yaml', 16 - i));
    const groups = groupProblems(scaffold);
    expect(groups).toHaveLength(1);
    expect(groups[0]!.problems.map((p) => p.line)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });

  it('has nothing to group when there is no problem', () => {
    expect(groupProblems([])).toEqual([]);
  });
});

describe('connectorSlugOf', () => {
  it('names the connector folder a file is in, and nothing else', () => {
    expect(connectorSlugOf('connectors/acme_shop/manifest.yaml')).toBe('acme_shop');
    expect(connectorSlugOf('connectors/acme_shop/lib/server.ts')).toBe('acme_shop');
    expect(connectorSlugOf('connectors/acme_shop')).toBe('acme_shop');
    expect(connectorSlugOf('connectors/Not-A-Slug/manifest.yaml')).toBeNull();
    expect(connectorSlugOf('connectors')).toBeNull();
    expect(connectorSlugOf('pipeline/catalog/firearm-types.yaml')).toBeNull();
    expect(connectorSlugOf('_template/connectors/x/manifest.yaml')).toBeNull();
  });
});

describe('locationText and plural', () => {
  it('reads as words, apart from the field', () => {
    expect(locationText({ line: 9, column: 1 })).toBe('line 9, column 1');
    expect(locationText({ line: 0, column: 0 })).toBe('whole file');
    expect([plural(1, 'problem'), plural(16, 'problem'), plural(0, 'file')]).toEqual(['1 problem', '16 problems', '0 files']);
  });
});

describe('breakParts', () => {
  it('offers a break after _, ., / and :, never inside a word', () => {
    expect(breakParts('read_all_orders')).toEqual(['read_', 'all_', 'orders']);
    expect(breakParts('https://www.googleapis.com/auth/youtube.readonly')).toEqual([
      'https://', 'www.', 'googleapis.', 'com/', 'auth/', 'youtube.', 'readonly',
    ]);
    expect(breakParts('chat:write')).toEqual(['chat:', 'write']);
    expect(breakParts('scopes[3].firearm_type')).toEqual(['scopes[3].', 'firearm_', 'type']);
  });

  it('gives back text without separators, or ending in one, whole', () => {
    expect(breakParts('orders')).toEqual(['orders']);
    expect(breakParts('orders_')).toEqual(['orders_']);
    expect(breakParts('')).toEqual(['']);
    for (const text of ['a__b', 'x.y/z:w_v', '__init__']) expect(breakParts(text).join('')).toBe(text);
  });
});
