import { describe, expect, it } from 'vitest';
import { diffManifests, showValue } from '../src/lib/manifest-diff.ts';

const base = {
  schema_version: 1,
  provider_slug: 'shop',
  display_name: 'Shop',
  auth_mode: 'byok',
  secrets: [{ key: 'PROVIDER_SHOP_API_KEY', label: 'API key', optional: false }],
  scopes: [
    { name: 'read_orders', description: 'Read orders', requires_firearm: false },
    { name: 'refund', description: 'Refund an order', requires_firearm: true, firearm_type: 'REFUND_ISSUE' },
  ],
  kpis: [{ raw: 'total_sales', standard: 'gross_sales', aggregation: 'sum' }],
};

describe('manifest diff', () => {
  it('reports nothing for identical manifests, and nothing for reordered list items', () => {
    expect(diffManifests(base, structuredClone(base))).toEqual([]);
    expect(diffManifests(base, { ...base, scopes: [...base.scopes].reverse() })).toEqual([]);
  });

  it('names each changed top-level field with its before and after', () => {
    const changes = diffManifests(base, { ...base, display_name: 'Shop Plus', docs_url: 'https://x.example' });
    expect(changes).toEqual([
      { path: 'display_name', kind: 'changed', before: 'Shop', after: 'Shop Plus' },
      { path: 'docs_url', kind: 'added', before: undefined, after: 'https://x.example' },
    ]);
  });

  it('matches scopes by name and reports field-level changes inside one', () => {
    const after = structuredClone(base);
    after.scopes[0] = { name: 'read_orders', description: 'Read orders', requires_firearm: true, firearm_type: 'DATA_EXPORT' } as never;
    const paths = diffManifests(base, after).map((c) => `${c.kind} ${c.path}`);
    expect(paths).toEqual(['changed scopes[read_orders].requires_firearm', 'added scopes[read_orders].firearm_type']);
  });

  it('reports added and removed secrets, scopes and KPI mappings by their identity', () => {
    const after = {
      ...base,
      secrets: [{ key: 'PROVIDER_SHOP_TOKEN', label: 'Token', optional: false }],
      scopes: [base.scopes[0]],
      kpis: [{ raw: 'total_sales', standard: 'net_sales', aggregation: 'sum' }],
    };
    const paths = diffManifests(base, after).map((c) => `${c.kind} ${c.path}`);
    expect(paths).toEqual([
      'removed secrets[PROVIDER_SHOP_API_KEY]',
      'added secrets[PROVIDER_SHOP_TOKEN]',
      'removed scopes[refund]',
      'removed kpis[total_sales → gross_sales]',
      'added kpis[total_sales → net_sales]',
    ]);
  });

  it('lists fields in manifest order whatever order the stored JSON has', () => {
    const after = { kpis: [], scopes: base.scopes, display_name: 'Other', secrets: base.secrets, auth_mode: 'oauth' };
    const paths = diffManifests({ ...base }, after).map((c) => c.path);
    expect(paths.slice(0, 3)).toEqual(['schema_version', 'provider_slug', 'display_name']);
    expect(paths.indexOf('auth_mode')).toBeLessThan(paths.indexOf('kpis[total_sales → gross_sales]'));
  });

  it('treats a missing approved manifest as everything added', () => {
    expect(diffManifests(null, { display_name: 'X' })).toEqual([{ path: 'display_name', kind: 'added', before: undefined, after: 'X' }]);
  });

  it('shows values plainly: strings bare, objects as key: value pairs, absence as (none)', () => {
    expect(showValue('x')).toBe('x');
    expect(showValue(true)).toBe('true');
    expect(showValue(undefined)).toBe('(none)');
    expect(showValue({ name: 'a', requires_firearm: false })).toBe('name: a, requires_firearm: false');
  });
});
