/** _template/manifest.schema.json is generated from the zod schema; a stale committed copy fails here. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_FILE, readCatalog, renderManifestJsonSchema } from '../generate-json-schema.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

describe('manifest JSON Schema', () => {
  it('the committed _template/manifest.schema.json equals what the zod schema renders (run npm run schema)', () => {
    expect(readFileSync(path.join(REPO_ROOT, JSON_SCHEMA_FILE), 'utf8')).toBe(renderManifestJsonSchema());
  });

  it('describes every top-level field and refuses unknown ones, for editors', () => {
    const schema = JSON.parse(renderManifestJsonSchema());
    expect(Object.keys(schema.properties)).toEqual(['schema_version', 'provider_slug', 'display_name', 'description', 'auth_mode', 'docs_url', 'secrets', 'scopes', 'kpis', 'oauth']);
    expect(schema.additionalProperties).toBe(false);
    // io: 'input': fields with defaults are optional for authors.
    expect(schema.required).toEqual(['schema_version', 'provider_slug', 'display_name', 'auth_mode', 'scopes']);
    expect(schema.properties.scopes.items.required).toContain('requires_firearm');
  });

  it('takes firearm types and core KPIs from the catalogues, so a catalogue change needs npm run schema', () => {
    const catalog = readCatalog(REPO_ROOT);
    const schema = JSON.parse(renderManifestJsonSchema(catalog));
    expect(schema.properties.scopes.items.properties.firearm_type.enum).toEqual(catalog.firearmTypes.map((f) => f.id));
    expect(schema.properties.kpis.items.properties.standard.enum).toEqual(catalog.coreKpis.map((k) => k.id));
    // A pull request that adds a type renders another schema: the stale-file test above fails until it is regenerated.
    const extended = { ...catalog, firearmTypes: [...catalog.firearmTypes, { id: 'NEW_TYPE', label: 'New', description: 'A new type.' }] };
    expect(renderManifestJsonSchema(extended)).not.toBe(readFileSync(path.join(REPO_ROOT, JSON_SCHEMA_FILE), 'utf8'));
    expect(JSON.parse(renderManifestJsonSchema(extended)).properties.scopes.items.properties.firearm_type.enum).toContain('NEW_TYPE');
  });

  it('refuses to render from a broken catalogue, naming the file and line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'schema-catalog-'));
    try {
      mkdirSync(path.join(dir, 'pipeline/catalog'), { recursive: true });
      writeFileSync(path.join(dir, 'pipeline/catalog/firearm-types.yaml'), 'schema_version: 1\nfirearm_types:\n  - id: lower_case\n    label: L\n    description: D\n');
      writeFileSync(path.join(dir, 'pipeline/catalog/core-kpis.yaml'), readFileSync(path.join(REPO_ROOT, 'pipeline/catalog/core-kpis.yaml')));
      expect(() => readCatalog(dir)).toThrow(/pipeline\/catalog\/firearm-types\.yaml:3:\d+ .*UPPER_SNAKE/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every manifest points editors at it', () => {
    const template = readFileSync(path.join(REPO_ROOT, '_template/manifest.yaml'), 'utf8');
    expect(template.split('\n')[0]).toBe('# yaml-language-server: $schema=../../_template/manifest.schema.json');
  });
});
