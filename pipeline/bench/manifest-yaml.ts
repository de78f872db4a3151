/**
 * Writes a manifest as an author would: the schema line, comments, plain scalars where YAML
 * allows them and double quotes elsewhere, defaults left out. Written by hand rather than with
 * `yaml.stringify` so generating 10,000 files takes a moment, not the bench's time.
 */
import type { Manifest } from '../schema/manifest.ts';

const PLAIN = /^[A-Za-z][A-Za-z0-9 _.,()'/>+:-]*[A-Za-z0-9.)]$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n)$/i;

/** A YAML scalar for `value`: plain when unambiguous, else a JSON string (valid YAML double-quoted). */
export function yamlScalar(value: string): string {
  const plain = PLAIN.test(value) && !/: | #|:$/.test(value) && !RESERVED.test(value);
  return plain ? value : JSON.stringify(value);
}

export function manifestYaml(m: Manifest): string {
  const out: string[] = [
    '# yaml-language-server: $schema=../../_template/manifest.schema.json',
    'schema_version: 1',
    `provider_slug: ${m.provider_slug}`,
    `display_name: ${yamlScalar(m.display_name)}`,
  ];
  if (m.description !== undefined) out.push(`description: ${yamlScalar(m.description)}`);
  out.push(`auth_mode: ${m.auth_mode}`);
  if (m.docs_url !== undefined) out.push(`docs_url: ${yamlScalar(m.docs_url)}`);
  out.push('', '# Keys the connector loads from the vault; set them in the God Config site.', 'secrets:');
  for (const s of m.secrets) {
    out.push(`  - key: ${s.key}`, `    label: ${yamlScalar(s.label)}`);
    if (s.description !== undefined) out.push(`    description: ${yamlScalar(s.description)}`);
    if (s.optional) out.push('    optional: true');
  }
  out.push('', 'scopes:');
  for (const s of m.scopes) {
    out.push(
      `  - name: ${yamlScalar(s.name)}`,
      `    description: ${yamlScalar(s.description)}`,
      `    requires_firearm: ${s.requires_firearm}`,
    );
    if (s.firearm_type !== undefined) out.push(`    firearm_type: ${s.firearm_type}`);
  }
  out.push('', '# Provider metrics mapped to core KPIs (pipeline/catalog/core-kpis.yaml).', 'kpis:');
  for (const k of m.kpis) {
    out.push(`  - raw: ${yamlScalar(k.raw)}`, `    standard: ${k.standard}`);
    if (k.aggregation !== 'sum') out.push(`    aggregation: ${k.aggregation}`);
  }
  return `${out.join('\n')}\n`;
}
