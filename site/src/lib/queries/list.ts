/**
 * The list view in two queries, each reading about a page of index entries whatever the size of
 * the registry: the counts per status (from connector_list_counts, or from the search's matches),
 * then the page's rows (from connector_list, the list's read model, by the index of the order).
 * Both tables are kept by triggers (migration 1770523200000_list-indexes.sql). Reads only.
 */
import type { Queryable } from '../ports.ts';
import { PAGE_SIZE, STATUSES, pageCount, type Direction, type ListFilters, type Sort, type Status } from '../list-params.ts';

export interface ListRow {
  provider_slug: string;
  display_name: string;
  status: Status;
  auth_mode: string;
  updated_at: Date;
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
  /** Pages of `total` rows (at least 1). */
  pages: number;
  /** The page asked for is past the last page of a non-empty list: no rows were read. */
  outOfRange: boolean;
  lastSynced: Date | null;
}

/** LIKE pattern for a contains-search; the user's % and _ match themselves. */
export function containsPattern(q: string): string {
  return `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Each order's columns, in the order of its index; ties go by slug. */
const ORDER_COLUMNS: Record<Sort, string[]> = {
  name: ['l.sort_key', 'l.provider_slug'],
  status: ['l.status', 'l.sort_key', 'l.provider_slug'],
  auth: ['l.auth_mode', 'l.sort_key', 'l.provider_slug'],
  updated: ['l.updated_at', 'l.provider_slug'],
};

export function orderBy(sort: Sort, dir: Direction): string {
  return ORDER_COLUMNS[sort].map((c) => `${c} ${dir === 'asc' ? 'ASC' : 'DESC'}`).join(', ');
}

type Param = (value: unknown) => string;

/**
 * Connectors whose every required key vault-agent holds: found from the held key names (a few,
 * by connector_secrets_key_name_idx), never by reading every declared key. "Keys missing" is a
 * connector with a required key that is not one of these.
 */
function allRequiredHeld(held: string): string {
  return `SELECT k.provider_slug FROM connector_secrets k JOIN connector_list f USING (provider_slug)
           WHERE k.key_name = ANY (${held}::text[]) AND NOT k.optional
           GROUP BY k.provider_slug, f.keys_required HAVING count(*) = f.keys_required`;
}

/**
 * The WHERE clause on connector_list (alias l) for the active filters only: a filter left out is
 * not written as `$n IS NULL OR ...`, which would keep the planner from using the index it needs.
 * `allHeld` is the SQL for the connectors whose required keys are all held: a subquery, or (for a
 * page's rows) the array the counts query found, which the planner can see is short.
 */
export function whereClause(filters: ListFilters, param: Param, allHeld: () => string, withStatus: boolean): string {
  const clauses: string[] = [];
  if (filters.q) clauses.push(`l.search_text LIKE ${param(containsPattern(filters.q))}`);
  if (filters.auth) clauses.push(`l.auth_mode = ${param(filters.auth)}`);
  if (filters.firearm) clauses.push(filters.firearm === 'yes' ? 'l.firearm_scopes > 0' : 'l.firearm_scopes = 0');
  if (filters.missing) clauses.push(`l.keys_required > 0 AND l.provider_slug <> ALL (${allHeld()})`);
  if (withStatus && filters.status) clauses.push(`l.status = ${param(filters.status)}`);
  return clauses.length ? clauses.join(' AND ') : 'true';
}

/**
 * A search matching at most this many connectors is read from the trigram index first and then
 * ordered; a broader one walks the order's index and keeps the matches (the planner cannot tell
 * "ads 58" from "ads", so the count decides).
 */
export const SEARCH_FIRST_BELOW = 5000;

/**
 * Counts per status for the filters other than status. Without a search they come from
 * connector_list_counts (at most 64 rows: status × auth mode × has a firearm scope × has a required
 * key); "keys missing" then takes away the connectors whose required keys are all held. A search
 * counts its matches (the trigram index finds them).
 */
function countsSql(filters: ListFilters, param: Param, held: () => string): string {
  if (filters.q) {
    const where = whereClause(filters, param, () => `ARRAY(${allRequiredHeld(held())})`, false);
    return `SELECT l.status, count(*)::int AS n FROM connector_list l WHERE ${where} GROUP BY l.status`;
  }
  const onCounts: string[] = [];
  const onList: string[] = [];
  if (filters.auth) {
    const auth = param(filters.auth);
    onCounts.push(`c.auth_mode = ${auth}`);
    onList.push(`l.auth_mode = ${auth}`);
  }
  if (filters.firearm) {
    onCounts.push(`c.has_firearm = ${filters.firearm === 'yes'}`);
    onList.push(filters.firearm === 'yes' ? 'l.firearm_scopes > 0' : 'l.firearm_scopes = 0');
  }
  if (filters.missing) onCounts.push('c.has_required_keys');
  const counted = `SELECT c.status, sum(c.connectors)::int AS n FROM connector_list_counts c
                    WHERE ${onCounts.length ? onCounts.join(' AND ') : 'true'} GROUP BY c.status`;
  if (!filters.missing) return counted;
  return `SELECT s.status, s.n - coalesce(h.n, 0) AS n FROM (${counted}) s
          LEFT JOIN (SELECT l.status, count(*)::int AS n FROM connector_list l
                      WHERE l.keys_required > 0 AND l.provider_slug IN (${allRequiredHeld(held())})
                        ${onList.map((c) => `AND ${c}`).join(' ')}
                      GROUP BY l.status) h USING (status)`;
}

/**
 * One page of connectors for these filters. `heldKeys` are the key names vault-agent holds
 * (from one list() call), or null when vault-agent is unreachable: keys then count as not set.
 */
export async function listConnectors(db: Queryable, filters: ListFilters, heldKeys: string[] | null): Promise<ListPage> {
  const held = heldKeys ?? [];
  const counted = parameters();
  const heldNames = counted.once(held);
  const countsQuery = `
    SELECT (SELECT coalesce(json_object_agg(status, n), '{}'::json) FROM (${countsSql(filters, counted.param, heldNames)}) c) AS counts,
           (SELECT max(finished_at) FROM registry_syncs WHERE outcome <> 'failed') AS last_synced,
           ${filters.missing ? `ARRAY(${allRequiredHeld(heldNames())})` : 'NULL::text[]'} AS all_held`;
  const { rows: countRows } = await db.query<{ counts: Partial<Record<Status, number>>; last_synced: Date | string | null; all_held: string[] | null }>(
    countsQuery,
    counted.values,
  );
  const row = countRows[0];
  const countsByStatus = Object.fromEntries(STATUSES.map((s) => [s, row?.counts?.[s] ?? 0])) as Record<Status, number>;
  const total = filters.status ? countsByStatus[filters.status] : STATUSES.reduce((sum, s) => sum + countsByStatus[s], 0);
  const pages = pageCount(total);
  const lastSynced = toDate(row?.last_synced ?? null);
  const offset = (filters.page - 1) * PAGE_SIZE;
  if (offset >= total) return { rows: [], countsByStatus, total, pages, outOfRange: total > 0, lastSynced };

  // OFFSET walks index entries: from whichever end of the order is nearer, so the last pages cost
  // what the first ones do. The outer query puts the page back in the order asked for.
  const onPage = Math.min(PAGE_SIZE, total - offset);
  const fromEnd = total - offset - onPage;
  const reverse = fromEnd < offset;
  const paged = parameters();
  const heldParam = paged.once(held);
  const allHeld = paged.once(row?.all_held ?? []);
  const where = whereClause(filters, paged.param, () => `${allHeld()}::text[]`, true);
  const innerDir: Direction = reverse ? (filters.dir === 'asc' ? 'desc' : 'asc') : filters.dir;
  // A narrow search: its matches first (OFFSET 0 keeps the planner from folding the subquery into
  // a walk along the order's index), then ordered.
  const source = filters.q && total <= SEARCH_FIRST_BELOW ? `(SELECT * FROM connector_list l WHERE ${where} OFFSET 0) l` : `connector_list l WHERE ${where}`;
  const pageQuery = `
    SELECT l.provider_slug, l.display_name, l.status, l.auth_mode, l.updated_at, l.scopes, l.firearm_scopes, l.keys_declared,
           k.keys_set, k.keys_missing
      FROM (SELECT l.provider_slug FROM ${source}
             ORDER BY ${orderBy(filters.sort, innerDir)}
             LIMIT ${paged.param(onPage)} OFFSET ${paged.param(reverse ? fromEnd : offset)}) page
      JOIN connector_list l USING (provider_slug)
     CROSS JOIN LATERAL (
       SELECT count(*) FILTER (WHERE c.key_name = ANY (${heldParam()}::text[]))::int AS keys_set,
              count(*) FILTER (WHERE NOT c.optional AND c.key_name <> ALL (${heldParam()}::text[]))::int AS keys_missing
         FROM connector_secrets c WHERE c.provider_slug = l.provider_slug) k
     ORDER BY ${orderBy(filters.sort, filters.dir)}`;
  const { rows } = await db.query<ListRow>(pageQuery, paged.values);
  return { rows: rows.map((r) => ({ ...r, updated_at: toDate(r.updated_at)! })), countsByStatus, total, pages, outOfRange: false, lastSynced };
}

/** Numbered query parameters; `once(v)` gives a placeholder that is bound on first use only. */
function parameters(): { values: unknown[]; param: Param; once: (value: unknown) => () => string } {
  const values: unknown[] = [];
  const param: Param = (value) => `$${values.push(value)}`;
  const once = (value: unknown) => {
    let placeholder: string | null = null;
    return () => (placeholder ??= param(value));
  };
  return { values, param, once };
}

export function toDate(value: Date | string | null): Date | null {
  if (value === null) return null;
  return value instanceof Date ? value : new Date(value);
}
