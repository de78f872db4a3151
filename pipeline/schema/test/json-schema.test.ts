/** _template/manifest.schema.json is generated from the zod schema; a stale committed copy fails here. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_FILE, renderManifestJsonSchema } from '../generate-json-schema.ts';

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

  it('every manifest points editors at it', () => {
    const template = readFileSync(path.join(REPO_ROOT, '_template/manifest.yaml'), 'utf8');
    expect(template.split('\n')[0]).toBe('# yaml-language-server: $schema=../../_template/manifest.schema.json');
  });
});
