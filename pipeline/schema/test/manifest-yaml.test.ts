/**
 * The one manifest writer (pipeline/schema/manifest-yaml.ts): what it writes reads back as the
 * value it was given, whatever the strings hold; it writes only the fields given (AUTHORED leaves
 * the defaults out); and the bench's generated tree, which the bench's figures are measured on,
 * is byte for byte what it was before the writers were made one.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SEED, generateRepo } from '../../bench/generate.ts';
import { manifestSchema } from '../manifest.ts';
import { AUTHORED, manifestYaml, yamlScalar, type ManifestDraft } from '../manifest-yaml.ts';

const draft = (over: Partial<ManifestDraft> = {}): ManifestDraft => ({
  provider_slug: 'acme',
  display_name: 'Acme Shop',
  auth_mode: 'byok',
  secrets: [{ key: 'PROVIDER_ACME_API_KEY', label: 'API key' }],
  scopes: [{ name: 'read_orders', description: 'Read orders', requires_firearm: false }],
  kpis: [{ raw: 'total_sales', standard: 'gross_sales' }],
  ...over,
});

const read = (text: string) => parse(text) as Record<string, unknown>;

describe('manifestYaml', () => {
  it('reads back as the value it was given, whatever a string holds', () => {
    const awkward = ['x: y', 'a #b', 'ends with:', 'yes', 'No', 'null', '123', '-dash', "it's", '"quoted"', 'Café — déjà vu', 'tab\there', 'esc\u001b[2K', 'line\nbreak', ' lead', 'trail ', 'a'];
    for (const text of awkward) {
      const m = draft({ display_name: text, description: text, secrets: [{ key: 'K', label: text, description: text }], kpis: [{ raw: text, standard: 'orders' }] });
      const back = read(manifestYaml(m));
      expect(back.display_name, JSON.stringify(text)).toBe(text);
      expect(back.description).toBe(text);
      expect(back.secrets).toEqual([{ key: 'K', label: text, description: text }]);
      expect(back.kpis).toEqual([{ raw: text, standard: 'orders' }]);
    }
  });

  it('writes a plain scalar only where YAML reads it back as the same string', () => {
    expect(yamlScalar('Read orders')).toBe('Read orders');
    expect(yamlScalar('https://acme.example/docs')).toBe('https://acme.example/docs');
    for (const text of ['true', 'y', 'x: y', 'a #b', '1.5', '']) expect(read(`v: ${yamlScalar(text)}`).v).toBe(text);
  });

  it('writes the fields given, and only those; an empty list as []', () => {
    const text = manifestYaml(draft({ auth_mode: 'none', secrets: [], kpis: [{ raw: 'r', standard: 'orders', aggregation: 'sum' }] }));
    expect(text.startsWith('# yaml-language-server: $schema=../../_template/manifest.schema.json\nschema_version: 1\n')).toBe(true);
    expect(text).toContain('secrets: []\n');
    expect(text).toContain('    aggregation: sum\n');
    expect(text).not.toContain('description:\n');
    expect(text).not.toContain('docs_url');
    expect(manifestSchema.safeParse(read(text)).success).toBe(true);
  });

  it('AUTHORED adds the comments and leaves out what the schema fills in', () => {
    const m = draft({
      secrets: [{ key: 'PROVIDER_ACME_API_KEY', label: 'API key', optional: false }, { key: 'PROVIDER_ACME_TOKEN', label: 'Token', optional: true }],
      kpis: [{ raw: 'a', standard: 'orders', aggregation: 'sum' }, { raw: 'b', standard: 'orders', aggregation: 'max' }],
    });
    const text = manifestYaml(m, AUTHORED);
    expect(text).toContain('\n\n# Keys the connector loads from the vault; set them in the God Config site.\nsecrets:\n');
    expect(text).toContain('\n\nscopes:\n');
    expect(text).toContain('\n\n# Provider metrics mapped to core KPIs (pipeline/catalog/core-kpis.yaml).\nkpis:\n');
    expect(text).not.toContain('optional: false');
    expect(text).toContain('optional: true');
    expect(text).not.toContain('aggregation: sum');
    expect(text).toContain('aggregation: max');
    // Same manifest once the schema's defaults are applied.
    expect(manifestSchema.parse(read(text))).toEqual(manifestSchema.parse(read(manifestYaml(m))));
  });

  it('writes an oauth section the schema accepts', () => {
    const m = draft({
      auth_mode: 'oauth',
      secrets: [{ key: 'PROVIDER_ACME_CLIENT_ID', label: 'Client ID' }, { key: 'PROVIDER_ACME_REFRESH_TOKEN', label: 'Refresh token' }],
      oauth: {
        authorize_url: 'https://acme.example/oauth/authorize',
        token_url: 'https://acme.example/oauth/token',
        client_id_key: 'PROVIDER_ACME_CLIENT_ID',
        refresh_token_key: 'PROVIDER_ACME_REFRESH_TOKEN',
        scope_separator: ',',
        authorize_params: { access_type: 'offline', prompt: 'consent' },
      },
    });
    const back = manifestSchema.parse(read(manifestYaml(m)));
    expect(back.oauth).toEqual({ ...m.oauth });
  });
});

describe("the bench's generated tree", () => {
  it('is byte for byte the tree its figures were measured on (200 connectors, the default seed)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cf-manifest-yaml-'));
    try {
      const tree = await generateRepo({ dir, connectors: 200, seed: DEFAULT_SEED });
      const root = path.join(tree.repoRoot, 'connectors');
      const files = readdirSync(root)
        .sort()
        .map((slug) => readFileSync(path.join(root, slug, 'manifest.yaml')));
      expect(files).toHaveLength(200);
      // sha256 of the 200 manifest.yaml files in folder order, as pipeline/bench/manifest-yaml.ts wrote them.
      expect(createHash('sha256').update(Buffer.concat(files)).digest('hex')).toBe('3e5129e262411abe786e92c9e1cc01f5dce0c9c7df7fb433680a556b391380d1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
