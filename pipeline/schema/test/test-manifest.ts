/**
 * The one valid test manifest. A test that needs "a valid connector" builds it here and overrides
 * only what it is about; the validate, sentinel and site test helpers are thin wrappers over it
 * (validate/test/helpers.ts manifestFor, sentinel/test/helpers.ts manifestYaml). Tests whose point
 * is a particular hand-written text (a YAML syntax error, a position, an author's scaffold) keep
 * their own text. Pure: no file, no process.
 *
 * Two forms of the same connector:
 * - testManifestYaml: its manifest.yaml, by the one writer (manifest-yaml.ts), as an author writes
 *   it: the API key's `optional` and the order count's `aggregation` are left to the schema.
 * - testManifest: the value the validator returns for that text (the schema fills the defaults),
 *   for tests that seed the registry or compare values.
 */
import { manifestSchema, type Manifest } from '../manifest.ts';
import { manifestYaml, type ManifestDraft, type ManifestYamlOptions } from '../manifest-yaml.ts';

/** `acme_shop` → `Acme Shop`: the display name a test connector gets unless it says another. */
export function titleOf(slug: string): string {
  return slug
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

/**
 * The manifest as written for connectors/<slug>/, with `overrides` in place of whole fields. Loose
 * on purpose (ManifestDraft): a test may override with a value the schema refuses, to see it
 * refused. A field overridden with undefined is left out.
 */
export function testManifestDraft(slug: string, overrides: Partial<ManifestDraft> = {}): ManifestDraft {
  const upper = slug.toUpperCase();
  return {
    provider_slug: slug,
    display_name: titleOf(slug),
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
    ...overrides,
  };
}

/** The manifest.yaml text of the test connector `slug` (see testManifestDraft for `overrides`). */
export function testManifestYaml(slug: string, overrides: Partial<ManifestDraft> = {}, opts?: ManifestYamlOptions): string {
  return manifestYaml(testManifestDraft(slug, overrides), opts);
}

/**
 * The test connector `slug` as the validator returns it: the schema parses the written form (so
 * the defaults are the schema's, not restated here), then `overrides` replace whole fields as given.
 */
export function testManifest(slug: string, overrides: Partial<Manifest> = {}): Manifest {
  return { ...manifestSchema.parse({ schema_version: 1, ...testManifestDraft(slug) }), ...overrides };
}
