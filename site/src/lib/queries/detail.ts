/**
 * Everything the detail view shows about one connector, in one query: the provider row, its
 * scopes, KPI mappings, declared keys, files, recent events and the last sync; and, for a
 * `changed` connector, the files that changed since approval (getFileChanges). Reads only.
 */
import type { Queryable } from '../ports.ts';
import type { Status } from '../list-params.ts';
import type { FileChange } from '../file-diff.ts';
import { toDate } from './list.ts';

export interface ScopeView {
  name: string;
  description: string;
  requires_firearm: boolean;
  firearm_type: string | null;
  firearm_label: string | null;
  /** scopes[].access: null when the manifest leaves it out ("may write"). */
  access: 'read' | 'write' | null;
}
export interface KpiView {
  raw_metric: string;
  core_kpi: string;
  core_kpi_label: string | null;
  aggregation: string;
  approved_at: string | null;
  approved_by: string | null;
}
export interface SecretView {
  key_name: string;
  label: string;
  description: string | null;
  optional: boolean;
}
export interface EventView {
  at: string;
  kind: string;
  actor: string;
  details: Record<string, unknown>;
}
/** A file of the connector's folder as last synced (what an approval covers). */
export interface FileView {
  path: string;
  size: number;
}
export interface ConnectorDetail {
  provider_slug: string;
  display_name: string;
  description: string | null;
  auth_mode: string;
  docs_url: string | null;
  status: Status;
  manifest_path: string;
  manifest_digest: string;
  manifest: Record<string, unknown>;
  approved_digest: string | null;
  approved_manifest: Record<string, unknown> | null;
  approved_at: Date | null;
  approved_by: string | null;
  retired_at: Date | null;
  updated_at: Date;
  scopes: ScopeView[];
  kpis: KpiView[];
  secrets: SecretView[];
  /** Every file of the folder at the last sync, by path (empty: not recorded yet). */
  files: FileView[];
  events: EventView[];
}

const DETAIL_SQL = `
  SELECT p.provider_slug, p.display_name, p.description, p.auth_mode, p.docs_url, p.status,
    p.manifest_path, p.manifest_digest, p.manifest, p.approved_digest, p.approved_manifest,
    p.approved_at, p.approved_by, p.retired_at, p.updated_at,
    (SELECT coalesce(json_agg(json_build_object(
        'name', s.name, 'description', s.description, 'requires_firearm', s.requires_firearm,
        'firearm_type', s.firearm_type, 'firearm_label', f.label, 'access', s.access) ORDER BY s.position, s.name), '[]'::json)
       FROM connector_scopes s LEFT JOIN firearm_types f ON f.id = s.firearm_type
       WHERE s.provider_slug = p.provider_slug) AS scopes,
    (SELECT coalesce(json_agg(json_build_object(
        'raw_metric', m.raw_metric, 'core_kpi', m.core_kpi, 'core_kpi_label', c.label,
        'aggregation', m.aggregation, 'approved_at', m.approved_at, 'approved_by', m.approved_by)
        ORDER BY m.position, m.raw_metric, m.core_kpi), '[]'::json)
       FROM kpi_mappings m LEFT JOIN core_kpis c ON c.id = m.core_kpi
       WHERE m.provider_slug = p.provider_slug) AS kpis,
    (SELECT coalesce(json_agg(json_build_object(
        'key_name', k.key_name, 'label', k.label, 'description', k.description, 'optional', k.optional)
        ORDER BY k.position, k.key_name), '[]'::json)
       FROM connector_secrets k WHERE k.provider_slug = p.provider_slug) AS secrets,
    (SELECT coalesce(json_agg(json_build_object('path', f.path, 'size', f.size) ORDER BY f.path COLLATE "C"), '[]'::json)
       FROM connector_files f WHERE f.provider_slug = p.provider_slug) AS files,
    (SELECT coalesce(json_agg(e), '[]'::json) FROM (
        SELECT e.at, e.kind, e.actor, e.details FROM registry_events e
        WHERE e.provider_slug = p.provider_slug ORDER BY e.at DESC, e.id DESC LIMIT 10) e) AS events,
    (SELECT max(finished_at) FROM registry_syncs WHERE outcome <> 'failed') AS last_synced
  FROM connector_providers p
  WHERE p.provider_slug = $1`;

const LAST_SYNC_SQL = `SELECT max(finished_at) AS last_synced FROM registry_syncs WHERE outcome <> 'failed'`;

export async function getConnector(
  db: Queryable,
  slug: string,
): Promise<{ connector: ConnectorDetail | null; lastSynced: Date | null }> {
  const { rows } = await db.query<ConnectorDetail & { last_synced: Date | string | null }>(DETAIL_SQL, [slug]);
  const row = rows[0];
  if (!row) return { connector: null, lastSynced: await getLastSynced(db) };
  const { last_synced, ...connector } = row;
  return { connector, lastSynced: toDate(last_synced) };
}

/** The last successful sync, for pages that have nothing else to ask the registry. */
export async function getLastSynced(db: Queryable): Promise<Date | null> {
  const { rows } = await db.query<{ last_synced: Date | string | null }>(LAST_SYNC_SQL);
  return toDate(rows[0]?.last_synced ?? null);
}

/**
 * The declared key, if this connector declares it (the Set key route's 404 rule), with the other
 * connectors that declare the same name or own it (secret_key_owners: a key name belongs to one
 * connector, and a registry from before that rule may still share one). The route refuses a
 * shared name: the vault file would be read by each of them.
 */
export async function findDeclaredKey(
  db: Queryable,
  slug: string,
  keyName: string,
): Promise<{ status: Status; sharedWith: string[] } | null> {
  const { rows } = await db.query<{ status: Status; shared_with: string[] }>(
    `SELECT p.status,
            ARRAY(SELECT DISTINCT o.provider_slug FROM (
                    SELECT provider_slug FROM connector_secrets WHERE key_name = $2
                    UNION ALL SELECT provider_slug FROM secret_key_owners WHERE key_name = $2) o
                   WHERE o.provider_slug <> $1 ORDER BY 1) AS shared_with
       FROM connector_secrets k JOIN connector_providers p USING (provider_slug)
      WHERE k.provider_slug = $1 AND k.key_name = $2`,
    [slug, keyName],
  );
  const row = rows[0];
  return row ? { status: row.status, sharedWith: row.shared_with } : null;
}

/** What getFileChanges found: the files that differ from the approved ones. */
export interface FileChangesView {
  /** False when the approval recorded no files (it predates file tracking): every current file is listed as added. */
  recorded: boolean;
  changes: (FileChange & { textWithheld: boolean })[];
}

/** Texts are read for at most this many changed files (each at most 64 KiB): the page stays bounded. */
export const MAX_DIFFED_FILES = 20;

const FILE_CHANGES_SQL = `
  WITH a AS (SELECT path, sha256, size, text FROM connector_approved_files WHERE provider_slug = $1),
       c AS (SELECT path, sha256, size, text FROM connector_files WHERE provider_slug = $1),
       d AS (SELECT coalesce(a.path, c.path) AS path,
                    a.sha256 AS a_sha256, a.size AS a_size, a.text AS a_text,
                    c.sha256 AS c_sha256, c.size AS c_size, c.text AS c_text
               FROM a FULL JOIN c ON a.path = c.path
              WHERE a.sha256 IS DISTINCT FROM c.sha256),
       n AS (SELECT d.*, row_number() OVER (ORDER BY path COLLATE "C") AS n FROM d)
  SELECT path, a_sha256, a_size::float8 AS a_size, c_sha256, c_size::float8 AS c_size,
         CASE WHEN n <= $2 THEN a_text END AS a_text, CASE WHEN n <= $2 THEN c_text END AS c_text,
         n > $2 AND (a_text IS NOT NULL OR c_text IS NOT NULL) AS withheld,
         (SELECT count(*) FROM a)::int AS approved_files
    FROM n ORDER BY n`;

interface FileChangeRow {
  path: string;
  a_sha256: string | null;
  a_size: number | null;
  a_text: string | null;
  c_sha256: string | null;
  c_size: number | null;
  c_text: string | null;
  withheld: boolean;
  approved_files: number;
}

/** The files of `slug` that differ from the ones recorded at its approval (added, removed, modified). */
export async function getFileChanges(db: Queryable, slug: string): Promise<FileChangesView> {
  const { rows } = await db.query<FileChangeRow>(FILE_CHANGES_SQL, [slug, MAX_DIFFED_FILES]);
  const recorded = rows.length === 0 || rows[0]!.approved_files > 0;
  const changes = rows.map((r) => ({
    path: r.path,
    kind: r.a_sha256 === null ? ('added' as const) : r.c_sha256 === null ? ('removed' as const) : ('modified' as const),
    before: r.a_sha256 === null ? null : { sha256: r.a_sha256, size: Number(r.a_size), text: r.a_text },
    after: r.c_sha256 === null ? null : { sha256: r.c_sha256, size: Number(r.c_size), text: r.c_text },
    textWithheld: r.withheld,
  }));
  return { recorded, changes };
}
