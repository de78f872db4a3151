import { describe, expect, it } from 'vitest';
import { manifestSchema, type Catalog } from '../../schema/manifest.ts';
import { manifestDigest } from '../../schema/digest.ts';
import { terminalJson } from '../../validate/terminal-text.ts';
import type { ParsedConnector } from '../../validate/types.ts';
import { computePlan, emptySnapshot } from '../plan.ts';
import { writeJson } from '../plan-json.ts';

const catalog: Catalog = {
  firearmTypes: [{ id: 'CODE_DELETE', label: 'Delete', description: 'Deletes data' }],
  coreKpis: [{ id: 'gross_sales', label: 'Gross sales', description: 'Sales' }],
};

function connector(slug: string, display_name: string): ParsedConnector {
  const manifest = manifestSchema.parse({
    schema_version: 1,
    provider_slug: slug,
    display_name,
    auth_mode: 'none',
    scopes: [{ name: 'purge', description: 'Purge \u202eeverything', requires_firearm: true, firearm_type: 'CODE_DELETE' }],
    kpis: [{ raw: 'total', standard: 'gross_sales', aggregation: 'sum' }],
  });
  return { kind: 'parsed', slug, file: `connectors/${slug}/manifest.yaml`, manifest, digest: manifestDigest(manifest), source_sha256: 'a'.repeat(64) };
}

const pieces = (value: unknown, pieceChars?: number) => {
  const out: string[] = [];
  writeJson(value, (text) => out.push(text), pieceChars);
  return out;
};

describe('writeJson (plan --json, sync --json)', () => {
  it('writes exactly what terminalJson(value, 2) writes, rows made from manifests and unsafe characters included', () => {
    const plan = computePlan({ connectors: [connector('alpha', 'Alpha \u0085 \u2028'), connector('beta', 'Beta')], catalog }, emptySnapshot());
    const result = { plan, sync_id: null, outcome: 'applied', dry_run: true, left_out: undefined, none: [], empty: {}, nested: [[1, undefined], [{}]] };
    for (const value of [plan, result, [], {}, 'text', null, 3]) expect(pieces(value).join('')).toBe(terminalJson(value, 2));
    expect(JSON.parse(pieces(result).join('')).plan.providers[0].writes.scopes[0].description).toBe('Purge \u202eeverything');
  });

  it('writes a large plan in pieces of bounded size, a change at a time, not as one string', () => {
    const plan = computePlan({ connectors: Array.from({ length: 200 }, (_, i) => connector(`svc_${i}`, `Service ${i}`)), catalog }, emptySnapshot());
    const one = terminalJson({ plan: { providers: [plan.providers[0]] } }, 2).length;
    const out = pieces({ plan }, 10_000);
    expect(out.length).toBeGreaterThan(10);
    for (const piece of out) expect(piece.length).toBeLessThan(10_000 + one);
    expect(out.join('')).toBe(terminalJson({ plan }, 2));
  });
});
