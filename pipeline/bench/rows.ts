/**
 * The registry rows a cold sync writes for a set of manifests, as plain arrays: the sync floor
 * COPYs them and the row-by-row comparison INSERTs them one at a time. Table and column names
 * are those of pipeline/registry/migrations; a provider starts as a draft.
 */
import type { Catalog, Manifest } from '../schema/manifest.ts';
import { manifestDigest } from '../schema/digest.ts';

export interface TableRows {
  table: string;
  columns: string[];
  rows: unknown[][];
}

export interface ManifestEntry {
  manifest: Manifest;
  /** connectors/<slug>/manifest.yaml */
  file: string;
  /** Default manifestDigest(manifest). */
  digest?: string;
}

/** In insertion order: catalogues first, then providers, then their children (foreign keys). */
export function registryRows(catalog: Catalog, entries: Iterable<ManifestEntry>): TableRows[] {
  const firearms: TableRows = { table: 'firearm_types', columns: ['id', 'label', 'description'], rows: [] };
  const kpis: TableRows = { table: 'core_kpis', columns: ['id', 'label', 'description', 'unit'], rows: [] };
  for (const f of catalog.firearmTypes) firearms.rows.push([f.id, f.label, f.description]);
  for (const k of catalog.coreKpis) kpis.rows.push([k.id, k.label, k.description, k.unit ?? null]);

  const providers: TableRows = {
    table: 'connector_providers',
    columns: ['provider_slug', 'display_name', 'description', 'auth_mode', 'docs_url', 'status', 'manifest_path', 'manifest_digest', 'manifest'],
    rows: [],
  };
  const scopes: TableRows = {
    table: 'connector_scopes',
    columns: ['provider_slug', 'name', 'description', 'requires_firearm', 'firearm_type', 'position'],
    rows: [],
  };
  const mappings: TableRows = {
    table: 'kpi_mappings',
    columns: ['provider_slug', 'raw_metric', 'core_kpi', 'aggregation', 'position'],
    rows: [],
  };
  const secrets: TableRows = {
    table: 'connector_secrets',
    columns: ['provider_slug', 'key_name', 'label', 'description', 'optional', 'position'],
    rows: [],
  };
  for (const { manifest: m, file, digest } of entries) {
    const slug = m.provider_slug;
    providers.rows.push([slug, m.display_name, m.description ?? null, m.auth_mode, m.docs_url ?? null, 'draft', file,
      digest ?? manifestDigest(m), JSON.stringify(m)]);
    m.scopes.forEach((s, i) => scopes.rows.push([slug, s.name, s.description, s.requires_firearm, s.firearm_type ?? null, i]));
    m.kpis.forEach((k, i) => mappings.rows.push([slug, k.raw, k.standard, k.aggregation, i]));
    m.secrets.forEach((s, i) => secrets.rows.push([slug, s.key, s.label, s.description ?? null, s.optional, i]));
  }
  return [firearms, kpis, providers, scopes, mappings, secrets];
}

export function countRows(tables: TableRows[]): number {
  return tables.reduce((n, t) => n + t.rows.length, 0);
}

/** PostgreSQL CSV: every value quoted (quotes doubled), NULL as an unquoted empty field. */
export function toCsv(rows: unknown[][]): string {
  let out = '';
  for (const row of rows) {
    out += row.map((v) => (v === null || v === undefined ? '' : `"${String(v).replace(/"/g, '""')}"`)).join(',');
    out += '\n';
  }
  return out;
}

export function copyStatement(t: TableRows, source: 'STDIN' | "'/dev/blob'"): string {
  return `COPY ${t.table} (${t.columns.join(', ')}) FROM ${source} WITH (FORMAT csv)`;
}

export function insertStatement(t: TableRows): string {
  return `INSERT INTO ${t.table} (${t.columns.join(', ')}) VALUES (${t.columns.map((_, i) => `$${i + 1}`).join(', ')})`;
}
