/**
 * The one valid test manifest (test-manifest.ts): its text passes the validator with the real
 * catalogues, without a warning, and reads back as exactly testManifest's value; overrides replace
 * whole fields. The test helpers of validate, the sentinel and the site build on it.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateManifestText } from '../../validate/manifest.ts';
import { realCatalog } from '../../validate/test/helpers.ts';
import { manifestSchema } from '../manifest.ts';
import { testManifest, testManifestYaml, titleOf } from './test-manifest.ts';

const catalog = realCatalog();

describe('the test manifest', () => {
  it.each(['acme', 'acme_shop', 'x9_2'])('for %s is valid, with no warning, and its text reads back as testManifest', (slug) => {
    const text = testManifestYaml(slug);
    const result = validateManifestText(text, `connectors/${slug}/manifest.yaml`, catalog, slug);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(manifestSchema.parse(parse(text))).toEqual(testManifest(slug));
  });

  it('is named after its slug and leaves the defaults to the schema in its text, not in its value', () => {
    expect(titleOf('acme_shop_2')).toBe('Acme Shop 2');
    const text = testManifestYaml('acme_shop');
    expect(text).toMatch(/^display_name: Acme Shop$/m);
    expect(text).not.toContain('optional: false');
    expect(text.match(/aggregation: sum/g)).toHaveLength(1);
    const value = testManifest('acme_shop');
    expect(value.secrets.map((s) => s.optional)).toEqual([false, true]);
    expect(value.kpis.map((k) => k.aggregation)).toEqual(['sum', 'sum']);
  });

  it('overrides replace whole fields; one overridden with undefined is left out', () => {
    const text = testManifestYaml('acme', { display_name: 'Other', description: undefined, kpis: [] });
    expect(text).toMatch(/^display_name: Other$/m);
    expect(text).not.toMatch(/^description:/m);
    expect(text).toMatch(/^kpis: \[\]$/m);
    expect(testManifest('acme', { auth_mode: 'none', secrets: [] })).toMatchObject({ provider_slug: 'acme', auth_mode: 'none', secrets: [] });
  });

  it('may be given a value the schema refuses, for a test that wants it refused', () => {
    const text = testManifestYaml('acme', { auth_mode: 'sometimes' });
    expect(validateManifestText(text, 'connectors/acme/manifest.yaml', catalog, 'acme').errors.map((e) => e.path)).toEqual(['auth_mode']);
  });
});
