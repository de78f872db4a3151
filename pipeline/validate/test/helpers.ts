/** Shared test fixtures: the real catalogues, a valid manifest, and positions found in text. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Catalog } from '../../schema/manifest.ts';
import { manifestYaml } from '../../schema/manifest-yaml.ts';
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

/** A valid manifest for connectors/<slug>/ (display name Acme Shop whatever the slug), by the one manifest writer. */
export function manifestFor(slug: string): string {
  const upper = slug.toUpperCase();
  return manifestYaml({
    provider_slug: slug,
    display_name: 'Acme Shop',
    description: 'A test shop.',
    auth_mode: 'byok',
    docs_url: `https://${slug}.example/docs`,
    secrets: [
      { key: `PROVIDER_${upper}_API_KEY`, label: 'API key', description: 'Settings > API' },
      { key: `PROVIDER_${upper}_WEBHOOK_SECRET`, label: 'Webhook secret', optional: true },
    ],
    scopes: [
      { name: 'read_orders', description: 'Read orders', requires_firearm: false },
      { name: 'refund_orders', description: 'Refund orders', requires_firearm: true, firearm_type: 'REFUND_ISSUE' },
    ],
    // The first says its aggregation, the second leaves the default to the schema.
    kpis: [
      { raw: 'total_sales', standard: 'gross_sales', aggregation: 'sum' },
      { raw: 'order_count', standard: 'orders' },
    ],
  });
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

