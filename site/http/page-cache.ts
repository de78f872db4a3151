/**
 * A cache of rendered GET pages, keyed by Host + path + query, so a page view that nothing could
 * have changed costs a lookup instead of a render and two registry queries.
 *
 * An entry is served only while all of these hold, otherwise the page is rendered afresh:
 * - its stamp (registry generation + vault-agent key list, read before it was rendered) equals a
 *   stamp read after the current request arrived (see freshness.ts and coalesce.ts), so it shows
 *   the registry's latest committed state at the time of the request;
 * - no state-changing request of this site finished since it was rendered (the epoch);
 * - it is younger than maxAgeMs (a few seconds), so relative times ("just now") stay true.
 *
 * What is never stored: anything but a 200 text/html page; a response setting a cookie; pages
 * whose query string carries anything but the page's own filters (flash messages after a post
 * come as ?set=, ?error=, ...; those pages are per-request); POST responses; error pages.
 * Pages hold no secret values (only key names and times). The one per-render item is the CSRF
 * token, bound to the operator's session: the server keys entries by session too (server.ts), so a
 * page is served again only to the session it was rendered for. A token is valid for
 * CSRF_MAX_AGE_SECONDS (12 h) from its render, far longer than an entry can be served.
 */
import { CSRF_MAX_AGE_SECONDS } from './csrf.ts';

export interface PageCacheOptions {
  /** Default 256 pages. */
  maxEntries?: number;
  /** Default 32 MiB of page bodies. */
  maxBytes?: number;
  /** Default 3000 ms; at most 60 s. */
  maxAgeMs?: number;
}

export interface CachedPage {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

interface Entry extends CachedPage {
  stamp: string;
  epoch: number;
  at: number;
}

export interface PageCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
}

/** Query parameters each cacheable page reads; any other parameter makes a request uncacheable. */
const PAGE_PARAMS: { path: RegExp; params: Set<string> }[] = [
  { path: /^\/$/, params: new Set(['q', 'status', 'auth', 'firearm', 'missing', 'page']) },
  { path: /^\/syncs$/, params: new Set(['before']) },
  { path: /^\/activity$/, params: new Set(['before', 'connector', 'kind']) },
  // Flash messages after a licence decision come as ?granted=, ?error=, ...: cached only without a query.
  { path: /^\/licences$/, params: new Set() },
  // The detail page reads only flash parameters from its query: cached only without a query.
  { path: /^\/connectors\/[a-z][a-z0-9_]{1,62}$/, params: new Set() },
];

const MAX_URL_LENGTH = 1024;

/** The cache key for a request, or null when the request must always be rendered afresh. */
export function cacheKeyFor(method: string | undefined, host: string | undefined, url: string | undefined): string | null {
  if (method !== 'GET' || !host || !url || url.length > MAX_URL_LENGTH) return null;
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const page = PAGE_PARAMS.find((p) => p.path.test(pathname));
  if (!page) return null;
  if (q !== -1) {
    for (const name of new URLSearchParams(url.slice(q + 1)).keys()) {
      if (!page.params.has(name)) return null;
    }
  }
  return `${host.toLowerCase()} ${url}`;
}

export class PageCache {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private epochValue = 0;
  private hits = 0;
  private misses = 0;

  constructor(options: PageCacheOptions = {}, private readonly now: () => number = Date.now) {
    this.maxEntries = options.maxEntries ?? 256;
    this.maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 3000;
    // A cached page's CSRF token must outlive every serving of that page, and relative times
    // must stay roughly true: both hold only for short ages.
    if (!(this.maxAgeMs >= 0 && this.maxAgeMs <= 60_000 && this.maxAgeMs < CSRF_MAX_AGE_SECONDS * 1000)) {
      throw new Error(`pageCache.maxAgeMs must be from 0 to 60000 ms, got ${this.maxAgeMs}.`);
    }
    if (!(this.maxEntries >= 1 && this.maxBytes >= 1)) throw new Error('pageCache.maxEntries and maxBytes must be at least 1.');
  }

  /** Changes whenever the site itself changed something; entries from before are never served. */
  get epoch(): number {
    return this.epochValue;
  }

  /** The site wrote (approval, key set, any POST): forget every page at once. */
  invalidate(): void {
    this.epochValue++;
    this.entries.clear();
    this.bytes = 0;
  }

  /** The page for `key` if it is still valid for a request whose fresh stamp is `stamp`. */
  get(key: string, stamp: string, epoch: number): CachedPage | null {
    const entry = this.entries.get(key);
    if (!entry || entry.stamp !== stamp || entry.epoch !== epoch || epoch !== this.epochValue || this.now() - entry.at > this.maxAgeMs) {
      this.misses++;
      return null;
    }
    // Least recently used goes first: move this one to the end.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry;
  }

  /**
   * Keeps a page rendered under `stamp` by a request that arrived at `epoch`. A site write that
   * finished meanwhile changed the epoch, and the page (maybe rendered before it) is dropped.
   */
  set(key: string, stamp: string, epoch: number, page: CachedPage): void {
    if (epoch !== this.epochValue || page.status !== 200 || page.body.length > this.maxBytes) return;
    const type = page.headers['content-type'];
    if (typeof type !== 'string' || !type.startsWith('text/html')) return;
    if (page.headers['set-cookie'] !== undefined) return;
    this.delete(key);
    this.entries.set(key, { ...page, stamp, epoch, at: this.now() });
    this.bytes += page.body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }

  stats(): PageCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, hits: this.hits, misses: this.misses };
  }

  /** Every stored body, for tests that prove no secret value is ever in the cache. */
  bodies(): string[] {
    return [...this.entries.values()].map((e) => e.body.toString('utf8'));
  }

  private delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.body.length;
  }
}
