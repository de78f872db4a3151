/**
 * The list view's search and filters live in the query string, so they work without JavaScript
 * and a filtered view is a shareable link. Unknown or malformed values are dropped, not errors:
 * a hand-edited link still shows a list.
 */
import { z } from 'zod';

export const STATUSES = ['draft', 'approved', 'changed', 'retired'] as const;
export const AUTH_MODES = ['oauth', 'byok', 'oauth_and_byok', 'none'] as const;
export type Status = (typeof STATUSES)[number];
export type AuthMode = (typeof AUTH_MODES)[number];

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
  page: number;
}

const field = {
  q: z.string().trim().max(100).catch(''),
  status: z.enum(STATUSES).nullable().catch(null),
  auth: z.enum(AUTH_MODES).nullable().catch(null),
  firearm: z.enum(['yes', 'no']).nullable().catch(null),
  missing: z.literal('1').nullable().catch(null),
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
};

export function parseListParams(params: URLSearchParams): ListFilters {
  return {
    q: field.q.parse(params.get('q') ?? ''),
    status: field.status.parse(params.get('status') || null),
    auth: field.auth.parse(params.get('auth') || null),
    firearm: field.firearm.parse(params.get('firearm') || null),
    missing: field.missing.parse(params.get('missing') || null) === '1',
    page: field.page.parse(params.get('page') ?? 1),
  };
}

/** The canonical link for a filter set: defaults left out, stable order. */
export function listHref(filters: ListFilters, change: Partial<ListFilters> = {}): string {
  const f = { ...filters, ...change };
  const params = new URLSearchParams();
  if (f.q) params.set('q', f.q);
  if (f.status) params.set('status', f.status);
  if (f.auth) params.set('auth', f.auth);
  if (f.firearm) params.set('firearm', f.firearm);
  if (f.missing) params.set('missing', '1');
  if (f.page > 1) params.set('page', String(f.page));
  const qs = params.toString();
  return qs ? `/?${qs}` : '/';
}

/** True when any filter other than the page narrows the list. */
export function isFiltered(f: ListFilters): boolean {
  return Boolean(f.q || f.status || f.auth || f.firearm || f.missing);
}
