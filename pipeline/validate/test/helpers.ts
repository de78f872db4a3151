/** Shared test fixtures: the real catalogues, a valid manifest, and positions found in text. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog } from '../../schema/manifest.ts';
import { testManifestYaml } from '../../schema/test/test-manifest.ts';
import { validateCatalogText } from '../catalog.ts';
import type { Problem } from '../types.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function realCatalog(): Catalog {
  const read = (f: string) => readFileSync(path.join(REPO_ROOT, f), 'utf8');
  return {
    firearmTypes: validateCatalogText('firearm_types', read('pipeline/catalog/firearm-types.yaml'), 'f').entries,
    coreKpis: validateCatalogText('core_kpis', read('pipeline/catalog/core-kpis.yaml'), 'k').entries,
  };
}

/**
 * A valid manifest for connectors/<slug>/: the one test manifest (schema/test/test-manifest.ts),
 * named Acme Shop whatever the slug, since these tests find their lines by text.
 */
export function manifestFor(slug: string): string {
  return testManifestYaml(slug, { display_name: 'Acme Shop' });
}

/** A valid manifest for connectors/acme/; tests edit it with replace(). */
export const VALID = manifestFor('acme');

/** 1-based line and column of `needle` inside the first line containing `lineText`. */
export function pos(text: string, lineText: string, needle = lineText): { line: number; column: number } {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => l.includes(lineText));
  if (i < 0) throw new Error(`fixture has no line with ${JSON.stringify(lineText)}`);
  const col = lines[i]!.indexOf(needle);
  if (col < 0) throw new Error(`line ${i + 1} has no ${JSON.stringify(needle)}`);
  return { line: i + 1, column: col + 1 };
}

/** Replaces exactly one occurrence (fails loudly if the fixture changed). */
export function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`fixture must contain ${JSON.stringify(from)} exactly once`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

export const codes = (problems: Problem[]) => problems.map((p) => p.code);
export const only = (problems: Problem[], code: string) => problems.filter((p) => p.code === code);

/** The classic "billion laughs": nine levels of nine aliases each, 9^9 strings when expanded. */
export const BILLION_LAUGHS = `schema_version: 1
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
`;

