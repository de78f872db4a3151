/**
 * The list view's search, filters, order and page live in the query string, so they work without
 * JavaScript and a view is a shareable link. Unknown or malformed values are dropped, not errors:
 * a hand-edited link still shows a list.
 */
import { z } from 'zod';

export const STATUSES = ['draft', 'approved', 'changed', 'retired'] as const;
export const AUTH_MODES = ['oauth', 'byok', 'oauth_and_byok', 'none'] as const;
export type Status = (typeof STATUSES)[number];
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * The orders the list offers: each has an index of its own (migration 1770523200000), so any
 * page of any of them costs the same. Ties go by slug.
 */
export const SORTS = ['name', 'status', 'auth', 'updated'] as const;
export type Sort = (typeof SORTS)[number];
export type Direction = 'asc' | 'desc';

/** The direction a column's header link sorts in first: names A to Z, the latest update first. */
export const DEFAULT_DIRECTION: Record<Sort, Direction> = { name: 'asc', status: 'asc', auth: 'asc', updated: 'desc' };

/** Rows per page: small enough to scan, large enough that paging is rare. */
export const PAGE_SIZE = 50;

export interface ListFilters {
  q: string;
  status: Status | null;
  auth: AuthMode | null;
  /** 'yes': at least one firearm scope; 'no': none. */
  firearm: 'yes' | 'no' | null;
  /** Only connectors with a required key that vault-agent does not hold. */
  missing: boolean;
  /** Default name. */
  sort: Sort;
  /** Default DEFAULT_DIRECTION[sort]. */
  dir: Direction;
  page: number;
}

const field = {
  // Control characters never belong to a name or a slug (and the search text keeps name and slug
  // apart with a newline, which a search must not match).
  q: z
    .string()
    .transform((q) => q.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim())
    .pipe(z.string().max(100))
    .catch(''),
  status: z.enum(STATUSES).nullable().catch(null),
  auth: z.enum(AUTH_MODES).nullable().catch(null),
  firearm: z.enum(['yes', 'no']).nullable().catch(null),
  missing: z.literal('1').nullable().catch(null),
  sort: z.enum(SORTS).catch('name'),
  dir: z.enum(['asc', 'desc']).nullable().catch(null),
  // A page past the last is shown as such (with a link to the last), not silently as page 1.
  page: z.coerce.number().int().min(1).max(10_000_000).catch(1),
};

export function parseListParams(params: URLSearchParams): ListFilters {
  const sort = field.sort.parse(params.get('sort') ?? 'name');
  return {
    q: field.q.parse(params.get('q') ?? ''),
    status: field.status.parse(params.get('status') || null),
    auth: field.auth.parse(params.get('auth') || null),
    firearm: field.firearm.parse(params.get('firearm') || null),
    missing: field.missing.parse(params.get('missing') || null) === '1',
    sort,
    dir: field.dir.parse(params.get('dir') || null) ?? DEFAULT_DIRECTION[sort],
    page: field.page.parse(params.get('page') ?? 1),
  };
}

/** The canonical link for a view: defaults left out, stable order. */
export function listHref(filters: ListFilters, change: Partial<ListFilters> = {}): string {
  const f = { ...filters, ...change };
  const params = new URLSearchParams();
  if (f.q) params.set('q', f.q);
  if (f.status) params.set('status', f.status);
  if (f.auth) params.set('auth', f.auth);
  if (f.firearm) params.set('firearm', f.firearm);
  if (f.missing) params.set('missing', '1');
  if (f.sort !== 'name') params.set('sort', f.sort);
  if (f.dir !== DEFAULT_DIRECTION[f.sort]) params.set('dir', f.dir);
  if (f.page > 1) params.set('page', String(f.page));
  const qs = params.toString();
  return qs ? `/?${qs}` : '/';
}

/**
 * A column header's link: the column's own first direction, or the other direction when the list
 * is already sorted by it. Back to page 1 (the same page number in another order is another set).
 */
export function sortHref(filters: ListFilters, sort: Sort): string {
  const dir = filters.sort === sort ? (filters.dir === 'asc' ? 'desc' : 'asc') : DEFAULT_DIRECTION[sort];
  return listHref(filters, { sort, dir, page: 1 });
}

/** True when any filter other than the order and the page narrows the list. */
export function isFiltered(f: ListFilters): boolean {
  return Boolean(f.q || f.status || f.auth || f.firearm || f.missing);
}

/** Pages for `total` rows (at least one, so an empty list is page 1 of 1). */
export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}

/**
 * The page numbers a pager shows: the first, the last, and `around` pages either side of the
 * current one, with null where numbers are left out ("1 … 4 5 6 7 8 … 200"). A gap of one page is
 * shown as that page instead of an ellipsis.
 */
export function pageWindow(current: number, pages: number, around = 2): (number | null)[] {
  const shown = new Set([1, pages]);
  for (let p = current - around; p <= current + around; p++) if (p >= 1 && p <= pages) shown.add(p);
  const sorted = [...shown].sort((a, b) => a - b);
  const out: (number | null)[] = [];
  for (const p of sorted) {
    const prev = out.length ? out[out.length - 1] : null;
    if (typeof prev === 'number' && p - prev === 2) out.push(p - 1);
    else if (typeof prev === 'number' && p - prev > 2) out.push(null);
    out.push(p);
  }
  return out;
}
