/**
 * The list view in two queries whatever the page size: one for the page's rows (with their
 * scope and key counts computed only for those rows), one for the counts per status and the
 * last sync. Reads only; touches no row.
 */
import type { Queryable } from '../ports.ts';
import { PAGE_SIZE, STATUSES, type ListFilters, type Status } from '../list-params.ts';

export interface ListRow {
  provider_slug: string;
  display_name: string;
  status: Status;
  auth_mode: string;
  scopes: number;
  firearm_scopes: number;
  keys_declared: number;
  keys_set: number;
  /** Required (non-optional) keys vault-agent does not hold. */
  keys_missing: number;
}

export interface ListPage {
  rows: ListRow[];
  countsByStatus: Record<Status, number>;
  /** Connectors matching the filters, status included. */
  total: number;
  lastSynced: Date | null;
}

/** LIKE pattern for a contains-search; the user's % and _ match themselves. */
export function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * The WHERE clause for the active filters only. Filters left out are not written as
 * `$n IS NULL OR ...`: an OR around EXISTS keeps PostgreSQL from turning it into a semi-join,
 * and it would then run one subquery per connector (10,000 of them).
 */
export function whereClause(filters: ListFilters, heldKeys: string[], withStatus: boolean): { sql: string; params: unknown[] } {
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  const clauses: string[] = [];
  if (filters.q) {
    const pattern = param(containsPattern(filters.q));
    clauses.push(`(lower(p.display_name) LIKE ${pattern} OR p.provider_slug LIKE ${pattern})`);
  }
  if (filters.auth) clauses.push(`p.auth_mode = ${param(filters.auth)}`);
  if (filters.firearm) {
    clauses.push(`${filters.firearm === 'yes' ? '' : 'NOT '}EXISTS (
      SELECT 1 FROM connector_scopes s WHERE s.provider_slug = p.provider_slug AND s.requires_firearm)`);
  }
  if (filters.missing) {
    clauses.push(`EXISTS (
      SELECT 1 FROM connector_secrets k
      WHERE k.provider_slug = p.provider_slug AND NOT k.optional AND k.key_name <> ALL (${param(heldKeys)}::text[]))`);
  }
  if (withStatus && filters.status) clauses.push(`p.status = ${param(filters.status)}`);
  return { sql: clauses.length ? clauses.join(' AND ') : 'true', params };
}

function pageSql(where: string, held: string, limit: string, offset: string): string {
  return `
  WITH page AS (
    SELECT p.provider_slug, p.display_name, p.status, p.auth_mode
    FROM connector_providers p
    WHERE ${where}
    ORDER BY lower(p.display_name), p.provider_slug
    LIMIT ${limit} OFFSET ${offset}
  )
  SELECT page.*,
    (SELECT count(*) FROM connector_scopes s WHERE s.provider_slug = page.provider_slug)::int AS scopes,
    (SELECT count(*) FROM connector_scopes s
       WHERE s.provider_slug = page.provider_slug AND s.requires_firearm)::int AS firearm_scopes,
    k.keys_declared, k.keys_set, k.keys_missing
  FROM page
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS keys_declared,
           count(*) FILTER (WHERE c.key_name = ANY (${held}::text[]))::int AS keys_set,
           count(*) FILTER (WHERE NOT c.optional AND c.key_name <> ALL (${held}::text[]))::int AS keys_missing
    FROM connector_secrets c WHERE c.provider_slug = page.provider_slug
  ) k
  ORDER BY lower(page.display_name), page.provider_slug`;
}

function countsSql(where: string): string {
  return `
  SELECT
    (SELECT coalesce(json_object_agg(status, n), '{}'::json)
       FROM (SELECT p.status, count(*)::int AS n FROM connector_providers p WHERE ${where} GROUP BY p.status) c
    ) AS counts,
    (SELECT max(finished_at) FROM registry_syncs WHERE outcome <> 'failed') AS last_synced`;
}

/**
 * One page of connectors for these filters. `heldKeys` are the key names vault-agent holds
 * (from one list() call), or null when vault-agent is unreachable: keys then count as not set.
 */
export async function listConnectors(db: Queryable, filters: ListFilters, heldKeys: string[] | null): Promise<ListPage> {
  const held = heldKeys ?? [];
  const rows = whereClause(filters, held, true);
  const p = (v: unknown) => `$${rows.params.push(v)}`;
  const pageQuery = pageSql(rows.sql, p(held), p(PAGE_SIZE), p((filters.page - 1) * PAGE_SIZE));
  const counted = whereClause(filters, held, false);
  const [page, counts] = await Promise.all([
    db.query<ListRow>(pageQuery, rows.params),
    db.query<{ counts: Partial<Record<Status, number>>; last_synced: Date | string | null }>(countsSql(counted.sql), counted.params),
  ]);
  const row = counts.rows[0];
  const countsByStatus = Object.fromEntries(STATUSES.map((s) => [s, row?.counts?.[s] ?? 0])) as Record<Status, number>;
  const total = filters.status
    ? countsByStatus[filters.status]
    : STATUSES.reduce((sum, s) => sum + countsByStatus[s], 0);
  return { rows: page.rows, countsByStatus, total, lastSynced: toDate(row?.last_synced ?? null) };
}

export function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}
