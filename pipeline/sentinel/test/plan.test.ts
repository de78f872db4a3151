import { describe, expect, it } from 'vitest';
import { manifestDigest } from '../../schema/digest.ts';
import { manifestSchema, type Catalog } from '../../schema/manifest.ts';
import type { ParsedConnector, ValidConnector } from '../../validate/types.ts';
import { computePlan, diffRows, emptySnapshot, nextStatus, providersNeedingDetail, unchangedStillHolds } from '../plan.ts';
import type { ProviderHead, RegistrySnapshot } from '../types.ts';

const catalog: Catalog = {
  firearmTypes: [{ id: 'CODE_DELETE', label: 'Delete', description: 'Deletes data' }],
  coreKpis: [{ id: 'gross_sales', label: 'Gross sales', description: 'Sales' }],
};

function connector(slug: string, display_name = `Svc ${slug}`): ParsedConnector {
  const manifest = manifestSchema.parse({
    schema_version: 1,
    provider_slug: slug,
    display_name,
    auth_mode: 'none',
    scopes: [{ name: 'read', description: 'Read', requires_firearm: false }],
  });
  return { kind: 'parsed', slug, file: `connectors/${slug}/manifest.yaml`, manifest, digest: manifestDigest(manifest) };
}

const head = (slug: string, over: Partial<ProviderHead> = {}): ProviderHead => ({
  slug,
  display_name: `Svc ${slug}`,
  auth_mode: 'none',
  status: 'draft',
  manifest_digest: connector(slug).digest,
  approved_digest: null,
  ...over,
});

describe('computePlan (pure)', () => {
  it('the status rules: new draft, approved+changed, back to approved, retired comes back as draft', () => {
    expect(nextStatus(undefined, 'd1')).toBe('draft');
    expect(nextStatus(head('acme', { status: 'draft' }), 'd2')).toBe('draft');
    expect(nextStatus(head('acme', { status: 'approved', approved_digest: 'd1' }), 'd2')).toBe('changed');
    expect(nextStatus(head('acme', { status: 'changed', approved_digest: 'd1' }), 'd1')).toBe('approved');
    expect(nextStatus(head('acme', { status: 'changed', approved_digest: 'd1' }), 'd3')).toBe('changed');
    expect(nextStatus(head('acme', { status: 'retired', approved_digest: 'd1' }), 'd1')).toBe('draft');
  });

  it('reads child rows only for providers whose digest changed or that come back', () => {
    const desired = [connector('same'), connector('edited', 'New name'), connector('back')];
    const heads = [head('same'), head('edited'), head('back', { status: 'retired' }), head('gone')];
    expect(providersNeedingDetail(desired, heads)).toEqual(['edited', 'back']);
  });

  it('an unchanged registry gives an empty plan', () => {
    const snapshot: RegistrySnapshot = {
      has_schema: true,
      providers: [head('acme')],
      details: {},
      firearm_types: [{ id: 'CODE_DELETE', label: 'Delete', description: 'Deletes data', retired: false }],
      core_kpis: [{ id: 'gross_sales', label: 'Gross sales', description: 'Sales', unit: null, retired: false }],
    };
    const plan = computePlan({ connectors: [connector('acme')], catalog }, snapshot);
    expect(plan.providers).toEqual([]);
    expect(plan.unchanged).toBe(1);
    expect(plan.catalog).toEqual({
      firearm_types: { added: [], changed: [], removed: [] },
      core_kpis: { added: [], changed: [], removed: [] },
    });
  });

  it('against an empty registry everything is added, in slug order', () => {
    const plan = computePlan({ connectors: [connector('zeta'), connector('alpha')], catalog }, emptySnapshot());
    expect(plan.against_empty_registry).toBe(true);
    expect(plan.providers.map((p) => [p.slug, p.kind, p.status_after])).toEqual([
      ['alpha', 'added', 'draft'],
      ['zeta', 'added', 'draft'],
    ]);
    expect(plan.counts.scopes.added).toBe(2);
    expect(plan.counts.firearm_types.added).toBe(1);
  });

  it("an added provider's rows are its manifest's, in JSON and in a copy as in the plan itself", () => {
    const plan = computePlan({ connectors: [connector('alpha')], catalog }, emptySnapshot());
    const scopes = { added: [{ name: 'read', description: 'Read', requires_firearm: false, firearm_type: null, access: null }], changed: [], removed: [] };
    const none = { added: [], changed: [], removed: [] };
    const p = plan.providers[0]!;
    expect(p.scopes).toEqual(scopes);
    expect(p.kpi_mappings).toEqual(none);
    expect(p.secrets).toEqual(none);
    const json = JSON.parse(JSON.stringify(plan)) as typeof plan;
    expect(json.providers[0]).toEqual({ ...p });
    expect(Object.keys(json.providers[0]!)).toEqual([
      'slug', 'display_name', 'auth_mode', 'status_after', 'digest_after', 'kind', 'status_before', 'digest_before', 'fields_changed',
      'scopes', 'kpi_mappings', 'secrets', 'writes',
    ]);
    expect(json.providers[0]!.scopes).toEqual(scopes);
    expect(structuredClone(p).scopes).toEqual(scopes);
  });

  it('each change carries the rows it writes: its provider row and every child row, in manifest order; a retired one none', () => {
    const edited = connector('edited', 'New name');
    const snapshot: RegistrySnapshot = {
      ...emptySnapshot(),
      has_schema: true,
      providers: [head('edited'), head('back', { status: 'retired' }), head('gone')],
      details: Object.fromEntries(['edited', 'back'].map((s) => [s, { description: null, docs_url: null, scopes: [], kpi_mappings: [], secrets: [] }])),
    };
    const plan = computePlan({ connectors: [connector('added'), edited, connector('back')], catalog }, snapshot);
    const writes = Object.fromEntries(plan.providers.map((p) => [`${p.slug} ${p.kind}`, p.writes]));
    expect(Object.keys(writes)).toEqual(['added added', 'back revived', 'edited changed', 'gone retired']);
    expect(writes['gone retired']).toBeNull();
    expect(writes['edited changed']).toEqual({
      provider: {
        provider_slug: 'edited', display_name: 'New name', description: null, auth_mode: 'none', docs_url: null, status: 'draft',
        manifest_path: 'connectors/edited/manifest.yaml', manifest_digest: edited.digest, manifest: edited.manifest, source_sha256: null, source_tree: null,
      },
      scopes: [{ name: 'read', description: 'Read', requires_firearm: false, firearm_type: null, access: null }],
      kpi_mappings: [],
      secrets: [],
    });
    expect(writes['back revived']!.provider.status).toBe('draft');
    // Made when read, not kept: the same rows each time, and in JSON.
    expect(JSON.parse(JSON.stringify(plan.providers)).map((p: { writes: unknown }) => p.writes)).toEqual(Object.values(writes));
  });

  it('diffRows matches rows by key and reports field changes', () => {
    const before = [
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
    ];
    const after = [
      { k: 'b', v: 3 },
      { k: 'c', v: 4 },
    ];
    expect(diffRows(before, after, (r) => r.k)).toEqual({
      added: [{ k: 'c', v: 4 }],
      changed: [{ before: { k: 'b', v: 2 }, after: { k: 'b', v: 3 } }],
      removed: [{ k: 'a', v: 1 }],
    });
  });

  it('an unchanged (unparsed) connector is counted unchanged without its manifest, and planned only once checked against the registry', () => {
    const c = connector('acme');
    const connectors: ValidConnector[] = [{ kind: 'unchanged', slug: 'acme', file: c.file, digest: c.digest, source_sha256: 'a'.repeat(64) }];
    const snapshot: RegistrySnapshot = { ...emptySnapshot(), has_schema: true, providers: [head('acme', { source_sha256: 'a'.repeat(64) })] };
    // computePlan takes unparsed connectors only as unchangedStillHolds lets them through (CheckedConnectors).
    if (!unchangedStillHolds(connectors, snapshot.providers)) throw new Error('expected to hold');
    expect(computePlan({ connectors, catalog }, snapshot).counts.providers.unchanged).toBe(1);
    const moved = [head('acme', { manifest_digest: 'other', source_sha256: 'a'.repeat(64) })];
    expect(unchangedStillHolds(connectors, moved)).toBe(false);
    expect(unchangedStillHolds(connectors, [head('acme', { source_sha256: 'b'.repeat(64) })])).toBe(false);
    expect(unchangedStillHolds(connectors, [head('acme', { status: 'retired', source_sha256: 'a'.repeat(64) })])).toBe(false);
  });
});
