/**
 * simple-yaml.ts may only return what js-yaml returns for the same text (the fast path's parser
 * before it, which the fast-path test holds against the full validator). Differential: real and
 * generated manifests, tricky variants, and thousands of seeded random mutations of them; whenever
 * the simple parser returns a value, js-yaml must return the equal value, key order included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { JS_YAML_OPTIONS } from '../fast-path.ts';
import { realisticManifest } from '../generate-tree.ts';
import { simpleYaml } from '../simple-yaml.ts';
import { DIGEST_FIXTURE } from './digest-fixture.ts';
import { REPO_ROOT, VALID } from './helpers.ts';

const committed = readdirSync(path.join(REPO_ROOT, 'connectors'))
  .filter((f) => !f.startsWith('.'))
  .map((f) => readFileSync(path.join(REPO_ROOT, 'connectors', f, 'manifest.yaml'), 'utf8'));
const fixture = Object.entries(DIGEST_FIXTURE).filter(([f]) => f.endsWith('.yaml')).map(([, t]) => t as string);
const corpus = [VALID, realisticManifest('shop_x'), ...fixture, ...committed];

/** js-yaml's value, or 'throws'. */
function reference(text: string): unknown {
  try {
    return jsyaml.load(text, JS_YAML_OPTIONS);
  } catch {
    return 'throws';
  }
}

/** The property: simpleYaml gives up, or agrees with js-yaml exactly. */
function agrees(text: string): { accepted: boolean; ok: boolean } {
  const value = simpleYaml(text);
  if (value === undefined) return { accepted: false, ok: true };
  const ref = reference(text);
  return { accepted: true, ok: isDeepStrictEqual(value, ref) && JSON.stringify(value) === JSON.stringify(ref) };
}

describe('simpleYaml', () => {
  it('reads the plain manifests the pipeline meets, with the value js-yaml gives', () => {
    for (const text of [VALID, realisticManifest('shop_x'), realisticManifest('a_b_c')]) {
      expect(simpleYaml(text)).toEqual(jsyaml.load(text, JS_YAML_OPTIONS));
    }
    for (const text of corpus) expect(agrees(text).ok).toBe(true);
  });

  const variants: [string, string, unknown][] = [
    ['a comment after a value', 'a: b # c\n', { a: 'b' }],
    ['a hash inside a value', 'a: b#c\n', { a: 'b#c' }],
    ['quoted strings', `a: "x: 'y' # z"\nb: 'it''s'\nc: "say \\"hi\\" \\\\ ok"\n`, { a: "x: 'y' # z", b: "it's", c: 'say "hi" \\ ok' }],
    ['a sequence at the key\'s indentation', 'a:\n- x\n- y: 1\n  z: true\nb: c\n', { a: ['x', { y: 1, z: true }], b: 'c' }],
    ['nested mappings', 'a:\n  b:\n    c: d\n  e: f\n', { a: { b: { c: 'd' }, e: 'f' } }],
    ['extra spaces after a dash', '-x: 1\na:\n  -   b: 1\n      c: 2\n', undefined],
    ['a URL', 'a: https://x.example/y?z=1\n', { a: 'https://x.example/y?z=1' }],
    ['non-ASCII text', 'a: Café — “déjà” 東京\n', { a: 'Café — “déjà” 東京' }],
  ];
  it.each(variants)('%s', (_name, text, expected) => {
    expect(agrees(text).ok).toBe(true);
    if (expected !== undefined) expect(simpleYaml(text)).toEqual(expected);
  });

  const refused: [string, string][] = [
    ['a null value', 'a:\nb: c\n'],
    ['a multi-line plain scalar', 'a: b\n  c\n'],
    ['a multi-line quoted scalar', 'a: "b\n  c"\n'],
    ['an escape other than \\" and \\\\', 'a: "\\u00e9"\n'],
    ['a flow sequence', 'a: [b, c]\n'],
    ['a flow mapping', 'a: {b: c}\n'],
    ['a float', 'a: 1.5\n'],
    ['a leading zero', 'a: 012\n'],
    ['a negative number', 'a: -1\n'],
    ['True', 'a: True\n'],
    ['null', 'a: null\n'],
    ['a tilde', 'a: ~\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['__proto__', '__proto__: 1\n'],
    ['a quoted key', '"a": 1\n'],
    ['a key without a space after the colon', 'a:b\n'],
    ['bad indentation', 'a:\n    b: 1\n  c: 2\n'],
    ['an indented document', '  a: 1\n'],
    ['a carriage return', 'a: 1\r\nb: 2\r\n'],
    ['a byte-order mark', '\ufeffa: 1\n'],
    ['a control character', 'a: b\u0007\n'],
    ['a lone surrogate', 'a: b\ud800\n'],
    ['a nested sequence on one line', 'a:\n  - - b\n'],
    ['text after a closing quote', 'a: "b" c\n'],
    ['a colon and space inside a plain value', 'a: b: c\n'],
    ['an empty item', 'a:\n  -\n'],
  ];
  it.each(refused)('leaves %s to js-yaml', (_name, text) => {
    expect(simpleYaml(text)).toBeUndefined();
  });

  it('agrees with js-yaml on thousands of seeded random mutations of real manifests', () => {
    let seed = Number(process.env.SIMPLE_YAML_SEED ?? 20260601);
    const rand = (n: number) => {
      // mulberry32: the same sequence on every run, so a failure is reproducible.
      seed = (seed + 0x6d2b79f5) | 0;
      let t = seed;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0;
    };
    const TOKENS = [
      ' ', '  ', '\n', '#', ' #', ':', ': ', '- ', '-', '"', "'", '\\', '\\"', "''", '[', ']', '{', '}', ',', '&', '*', '!',
      '|', '>', '%', '@', '`', '?', '~', '0', '1', '01', '.5', '+', '-1', 'null', 'true', 'True', 'yes', '\t', '\r', 'é',
      '\u2028', '\ufeff', '\x85', '\x07', '\ud800', '__proto__: 1\n', 'key: v\n', 'x:\n', '  - y\n', '"a"', "'b'", '0x1', '1e3',
    ];
    const mutate = (text: string): string => {
      const at = rand(text.length + 1);
      switch (rand(5)) {
        case 0:
          return text.slice(0, at) + TOKENS[rand(TOKENS.length)] + text.slice(at);
        case 1:
          return text.slice(0, at) + text.slice(at + 1 + rand(3));
        case 2: {
          const lines = text.split('\n');
          const l = rand(lines.length);
          lines.splice(l, 0, lines[l]!);
          return lines.join('\n');
        }
        case 3: {
          const lines = text.split('\n');
          const l = rand(lines.length);
          lines[l] = rand(2) ? ` ${lines[l]}` : lines[l]!.replace(/^ {1,2}/, '');
          return lines.join('\n');
        }
        default: {
          // A value swapped for a token: exercises scalar resolution.
          const m = /: ([^\n]*)/g;
          const found = [...text.matchAll(m)];
          if (found.length === 0) return text;
          const f = found[rand(found.length)]!;
          return `${text.slice(0, f.index + 2)}${TOKENS[rand(TOKENS.length)]}${text.slice(f.index + f[0].length)}`;
        }
      }
    };
    let accepted = 0;
    let total = 0;
    const failures: string[] = [];
    for (const base of corpus) {
      for (let n = 0; n < Number(process.env.SIMPLE_YAML_MUTATIONS ?? 600); n++) {
        let text = base;
        for (let k = 1 + rand(3); k > 0; k--) text = mutate(text);
        const r = agrees(text);
        total++;
        if (r.accepted) accepted++;
        if (!r.ok && failures.length < 3) failures.push(`${JSON.stringify(text)}\nsimple: ${JSON.stringify(simpleYaml(text))}\njs-yaml: ${JSON.stringify(reference(text))}`);
      }
    }
    expect(failures).toEqual([]);
    // Most mutations keep the text plain: the property was tested on accepted texts, not only refusals.
    expect(accepted / total).toBeGreaterThan(0.1);
  });
});
