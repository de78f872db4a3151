/**
 * The one writer of manifest text from a manifest value, for everything that makes manifests
 * rather than reads them: the bench's generated trees, the soak, and the tests' fixtures. It
 * writes what an author would: the schema line, fields in the order the template uses, plain
 * scalars where YAML allows them and double quotes elsewhere. By hand rather than with
 * `yaml.stringify`, so writing 100,000 files takes a moment, and so the text (and with it every
 * source hash and line number a test or the bench relies on) depends on nothing but the value.
 * Pure: no file, no process.
 */

const PLAIN = /^[A-Za-z](?:[A-Za-z0-9 _.,()'/>+:-]*[A-Za-z0-9.)])?$/;
const RESERVED = /^(true|false|null|yes|no|on|off|y|n)$/i;

/** A YAML scalar for `value`: plain when unambiguous, else a JSON string (valid YAML double-quoted). */
export function yamlScalar(value: string): string {
  const plain = PLAIN.test(value) && !/: | #|:$/.test(value) && !RESERVED.test(value);
  return plain ? value : JSON.stringify(value);
}

/**
 * A manifest to write. Loose on purpose: a test writes values the schema refuses (an unknown
 * firearm type, a bad aggregation) to see them refused. A field left out is not written.
 */
export interface ManifestDraft {
  provider_slug: string;
  display_name: string;
  description?: string;
  auth_mode: string;
  docs_url?: string;
  secrets: readonly { key: string; label: string; description?: string; optional?: boolean }[];
  scopes: readonly { name: string; description: string; requires_firearm: boolean; firearm_type?: string; access?: string }[];
  kpis: readonly { raw: string; standard: string; aggregation?: string }[];
  oauth?: {
    authorize_url: string;
    token_url: string;
    client_id_key: string;
    client_secret_key?: string;
    refresh_token_key: string;
    scope_separator?: string;
    authorize_params?: Record<string, string>;
  };
}

export interface ManifestYamlOptions {
  /** A blank line before each list, with a comment before secrets and kpis, as the template has. Default false. */
  comments?: boolean;
  /** Leave out what the schema fills in anyway (optional: false, aggregation: sum, scope_separator " "). Default false: every field given is written. */
  omitDefaults?: boolean;
}

/** As an author writes a manifest: comments, and the defaults left out (the bench's trees, the soak). */
export const AUTHORED: ManifestYamlOptions = { comments: true, omitDefaults: true };

const SECRETS_COMMENT = '# Keys the connector loads from the vault; set them in the God Config site.';
const KPIS_COMMENT = '# Provider metrics mapped to core KPIs (pipeline/catalog/core-kpis.yaml).';

/** The manifest.yaml text of `m`, ending with a newline. */
export function manifestYaml(m: ManifestDraft, opts: ManifestYamlOptions = {}): string {
  const out: string[] = [
    '# yaml-language-server: $schema=../../_template/manifest.schema.json',
    'schema_version: 1',
    `provider_slug: ${m.provider_slug}`,
    `display_name: ${yamlScalar(m.display_name)}`,
  ];
  if (m.description !== undefined) out.push(`description: ${yamlScalar(m.description)}`);
  out.push(`auth_mode: ${m.auth_mode}`);
  if (m.docs_url !== undefined) out.push(`docs_url: ${yamlScalar(m.docs_url)}`);
  const list = (name: string, comment: string | null, items: readonly unknown[]) => {
    if (opts.comments) out.push('', ...(comment ? [comment] : []));
    out.push(items.length === 0 ? `${name}: []` : `${name}:`);
  };

  list('secrets', SECRETS_COMMENT, m.secrets);
  for (const s of m.secrets) {
    out.push(`  - key: ${s.key}`, `    label: ${yamlScalar(s.label)}`);
    if (s.description !== undefined) out.push(`    description: ${yamlScalar(s.description)}`);
    if (s.optional !== undefined && !(opts.omitDefaults && !s.optional)) out.push(`    optional: ${s.optional}`);
  }
  list('scopes', null, m.scopes);
  for (const s of m.scopes) {
    out.push(`  - name: ${yamlScalar(s.name)}`, `    description: ${yamlScalar(s.description)}`, `    requires_firearm: ${s.requires_firearm}`);
    if (s.firearm_type !== undefined) out.push(`    firearm_type: ${s.firearm_type}`);
    if (s.access !== undefined) out.push(`    access: ${s.access}`);
  }
  list('kpis', KPIS_COMMENT, m.kpis);
  for (const k of m.kpis) {
    out.push(`  - raw: ${yamlScalar(k.raw)}`, `    standard: ${k.standard}`);
    if (k.aggregation !== undefined && !(opts.omitDefaults && k.aggregation === 'sum')) out.push(`    aggregation: ${k.aggregation}`);
  }
  if (m.oauth) {
    const o = m.oauth;
    if (opts.comments) out.push('');
    out.push('oauth:', `  authorize_url: ${yamlScalar(o.authorize_url)}`, `  token_url: ${yamlScalar(o.token_url)}`, `  client_id_key: ${o.client_id_key}`);
    if (o.client_secret_key !== undefined) out.push(`  client_secret_key: ${o.client_secret_key}`);
    out.push(`  refresh_token_key: ${o.refresh_token_key}`);
    if (o.scope_separator !== undefined && !(opts.omitDefaults && o.scope_separator === ' ')) out.push(`  scope_separator: ${JSON.stringify(o.scope_separator)}`);
    if (o.authorize_params) {
      out.push('  authorize_params:');
      for (const [k, v] of Object.entries(o.authorize_params)) out.push(`    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    }
  }
  return `${out.join('\n')}\n`;
}
