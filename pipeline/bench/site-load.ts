/**
 * Load against the running site, on loopback only and bounded in time: p50 latency from one
 * keep-alive connection sending one request at a time (the server's time plus the loopback hop,
 * not queueing; timed with hrtime, as autocannon's histogram rounds to whole milliseconds), then
 * throughput with autocannon over several connections. It logs in first as the operator does
 * (opens the login URL, keeps the session cookie) and sends the cookie with every page request.
 *
 * Those repeat one URL, so after the first request the page cache answers. The uncached figures
 * send every request to a URL not asked before (another page, order, filter, search or connector:
 * what an operator browsing does), and each answer must say X-Page-Cache: miss, so every one was
 * rendered from the registry.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import autocannon from 'autocannon';
import { median } from './report.ts';

export interface SiteLoadOptions {
  /** The login URL the site printed: http://127.0.0.1:PORT/?token=TOKEN */
  loginUrl: string;
  /** A connector's slug for the detail page. */
  detailSlug: string;
  /** Length of each measured phase. */
  seconds: number;
  /** Connections for the throughput phase. */
  connections?: number;
  /** Processes whose CPU time per request to report (name → pid), e.g. the site and the registry. */
  processes?: Record<string, number | undefined>;
  /** Every connector's slug (the registry holds exactly these): pages, searches and detail pages to ask for. */
  slugs?: readonly string[];
  /** Seeds the order of the uncached URLs; a different one per run keeps runs from repeating URLs. */
  seed?: number;
}

export interface PageLoad {
  path: string;
  p50_ms: number;
  rps: number;
  /** CPU milliseconds each process spent per request during the throughput phase (Linux only). */
  cpu_ms_per_request: Record<string, number>;
}

/** p50 over requests that each rendered a page from the registry (X-Page-Cache: miss). */
export interface UncachedLoad {
  p50_ms: number;
  requests: number;
  /** p50 per kind of URL (e.g. list: pages, deep pages, sorted, filtered), for where the time goes. */
  by_kind: Record<string, { p50_ms: number; requests: number }>;
}

export interface SiteLoad {
  list: PageLoad;
  detail: PageLoad;
  static: PageLoad;
  /** Null when no slugs were given. */
  uncached: { list: UncachedLoad; search: UncachedLoad; detail: UncachedLoad } | null;
}

export async function measureSite(opts: SiteLoadOptions): Promise<SiteLoad> {
  const base = new URL(opts.loginUrl);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(base.hostname)) {
    throw new Error(`the site load generator only runs against loopback, not ${base.hostname}`);
  }
  const cookie = await login(opts.loginUrl);
  const listPath = '/';
  const detailPath = `/connectors/${encodeURIComponent(opts.detailSlug)}`;
  const staticPath = await findStaticAsset(base.origin, listPath, cookie);
  const measure = async (path: string): Promise<PageLoad> => {
    const url = new URL(path, base.origin).toString();
    await run(url, cookie, 1, Math.min(1, opts.seconds)); // warm-up: first renders, JIT, connection pools
    const p50 = await sequentialP50(url, cookie, opts.seconds);
    const before = cpuTimes(opts.processes ?? {});
    const throughput = await run(url, cookie, opts.connections ?? 10, opts.seconds);
    const after = cpuTimes(opts.processes ?? {});
    const cpu: Record<string, number> = {};
    for (const name of Object.keys(after)) {
      cpu[name] = Math.round(((after[name]! - (before[name] ?? 0)) / throughput.requests.total) * 1000 * 1000) / 1000;
    }
    return { path, p50_ms: p50, rps: throughput.requests.average, cpu_ms_per_request: cpu };
  };
  const list = await measure(listPath);
  const detail = await measure(detailPath);
  const assets = await measure(staticPath);
  let uncached: SiteLoad['uncached'] = null;
  if (opts.slugs?.length) {
    const urls = uncachedUrls(opts.slugs, opts.seed ?? 1);
    const missed = (urls: Iterator<Probe>) => uncachedP50(base.origin, urls, cookie, opts.seconds);
    await missed(urls.warmUp); // first renders of each kind: JIT, plans, pools
    uncached = { list: await missed(urls.list), search: await missed(urls.search), detail: await missed(urls.detail) };
  }
  return { list, detail, static: assets, uncached };
}

/** A URL to ask for once, and the kind it stands for. */
interface Probe {
  path: string;
  kind: string;
}

/**
 * Endless sequences of distinct URLs over a registry holding `slugs` (all drafts, as after a
 * sync; names "Brand Kind N" as the generator writes them). Pages are spread over the whole
 * range, deep ones included; filtered views stay within the pages they surely have.
 */
export function uncachedUrls(slugs: readonly string[], seed: number): { warmUp: Iterator<Probe>; list: Iterator<Probe>; search: Iterator<Probe>; detail: Iterator<Probe> } {
  let state = (seed * 2654435761) >>> 0 || 1;
  const random = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(random() * n);
  const pages = Math.max(1, Math.ceil(slugs.length / 50));
  const seen = new Set<string>();
  let variant = 0;
  // A small registry has few distinct views: once one comes up again, a parameter the site ignores
  // (`v`) makes its URL new, so it is still a miss rendered from the registry.
  function* distinct(make: () => Probe): Generator<Probe> {
    for (;;) {
      const probe = make();
      const path = seen.has(probe.path) ? `${probe.path}${probe.path.includes('?') ? '&' : '?'}v=${++variant}` : probe.path;
      seen.add(path);
      yield { ...probe, path };
    }
  }
  const sorts = ['name', 'status', 'auth', 'updated'] as const;
  const listProbe = (): Probe => {
    const roll = random();
    const sort = sorts[int(sorts.length)]!;
    const dir = random() < 0.5 ? 'asc' : 'desc';
    if (roll < 0.4) return { path: `/?sort=${sort}&dir=${dir}&page=${1 + int(pages)}`, kind: 'pages' };
    if (roll < 0.6) return { path: `/?page=${Math.max(1, pages - int(Math.max(1, Math.floor(pages / 4))))}&sort=${sort}&dir=${dir}`, kind: 'deep_pages' };
    // Filters: every generated connector is a draft with a firearm scope and a required key; about
    // a quarter of them use OAuth alone.
    const filter = ['status=draft', 'firearm=yes', 'missing=1', 'auth=oauth'][int(4)]!;
    const filtered = Math.max(1, Math.floor(pages * (filter === 'auth=oauth' ? 0.2 : 0.9)));
    return { path: `/?${filter}&sort=${sort}&dir=${dir}&page=${1 + int(filtered)}`, kind: 'filtered' };
  };
  const searchProbe = (): Probe => {
    const [brand, kind, n] = slugs[int(slugs.length)]!.split('_');
    const roll = random();
    // A brand and kind match one connector in 640; "kind 12" some tens; a slug fragment a few.
    if (roll < 0.34) return { path: `/?q=${encodeURIComponent(`${brand} ${kind}`)}&page=${1 + int(Math.max(1, Math.ceil(slugs.length / 640 / 50)))}`, kind: 'broad' };
    if (roll < 0.67) return { path: `/?q=${encodeURIComponent(`${kind} ${(n ?? '').slice(0, 2)}`)}`, kind: 'medium' };
    return { path: `/?q=${encodeURIComponent(`${brand}_${kind}_${n}`)}`, kind: 'narrow' };
  };
  const detailProbe = (): Probe => ({ path: `/connectors/${encodeURIComponent(slugs[int(slugs.length)]!)}`, kind: 'detail' });
  const warm = [listProbe, searchProbe, detailProbe];
  let turn = 0;
  return {
    warmUp: distinct(() => warm[turn++ % warm.length]!()),
    list: distinct(listProbe),
    search: distinct(searchProbe),
    detail: distinct(detailProbe),
  };
}

/**
 * Median time of requests, one after another on one kept-alive connection for `seconds`, each to
 * the next URL of `probes`; an answer the page cache served (or not 2xx) fails the measurement.
 */
async function uncachedP50(origin: string, probes: Iterator<Probe>, cookie: string, seconds: number): Promise<UncachedLoad> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  const byKind = new Map<string, number[]>();
  const deadline = performance.now() + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const probe = probes.next().value as Probe;
      const url = new URL(probe.path, origin).toString();
      const start = performance.now();
      const { status, cache } = await new Promise<{ status: number; cache: string | undefined }>((resolve, reject) => {
        http
          .get(url, { agent, headers: { cookie } }, (res) => {
            res.resume();
            res.once('end', () => resolve({ status: res.statusCode ?? 0, cache: res.headers['x-page-cache'] as string | undefined }));
          })
          .once('error', reject);
      });
      const ms = performance.now() - start;
      if (status < 200 || status >= 300) throw new Error(`${probe.path} answered HTTP ${status}`);
      if (cache !== 'miss' && cache !== 'bypass') throw new Error(`${probe.path} was not rendered from the registry (X-Page-Cache: ${cache ?? 'none'})`);
      samples.push(ms);
      byKind.set(probe.kind, [...(byKind.get(probe.kind) ?? []), ms]);
    }
  } finally {
    agent.destroy();
  }
  return {
    p50_ms: median(samples),
    requests: samples.length,
    by_kind: Object.fromEntries([...byKind].map(([kind, values]) => [kind, { p50_ms: Math.round(median(values) * 100) / 100, requests: values.length }])),
  };
}

/** Opens the login URL as a browser would; answers the session cookie ("name=value"). */
export async function login(loginUrl: string): Promise<string> {
  const reply = await fetch(loginUrl, { redirect: 'manual' });
  const cookie = reply.headers.get('set-cookie')?.split(';')[0];
  if (reply.status !== 303 || !cookie) {
    throw new Error(`logging in to the site answered HTTP ${reply.status} without a session cookie; pass the login URL the site printed`);
  }
  return cookie;
}

async function run(url: string, cookie: string, connections: number, seconds: number): Promise<autocannon.Result> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1, headers: { cookie } });
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0 || result.requests.total === 0) {
    const status = await fetch(url, { headers: { cookie } }).then(
      (r) => `HTTP ${r.status}`,
      (e: Error) => e.message,
    );
    throw new Error(
      `${new URL(url).pathname} answered ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts of ${result.requests.total} requests (a single request now: ${status})`,
    );
  }
  return result;
}

/**
 * CPU seconds used so far by each process, from /proc/<pid>/stat (utime + stime, in clock ticks
 * of 1/100 s on Linux); this process (the load generator) from process.cpuUsage(). Processes that
 * cannot be read are left out.
 */
function cpuTimes(processes: Record<string, number | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  const self = process.cpuUsage();
  out.load_generator = (self.user + self.system) / 1e6;
  for (const [name, pid] of Object.entries(processes)) {
    if (pid === undefined) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out[name] = (Number(fields[11]) + Number(fields[12])) / 100;
    } catch {
      // not Linux, or the process is gone: no figure rather than a wrong one
    }
  }
  return out;
}

/** Median time of requests sent one after another on one kept-alive connection for `seconds`. */
async function sequentialP50(url: string, cookie: string, seconds: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const samples: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  try {
    while (performance.now() < deadline) {
      const start = performance.now();
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get(url, { agent, headers: { cookie } }, (res) => {
            res.resume();
            res.once('end', () => resolve(res.statusCode ?? 0));
          })
          .once('error', reject);
      });
      if (status < 200 || status >= 300) throw new Error(`${new URL(url).pathname} answered HTTP ${status}`);
      samples.push(performance.now() - start);
    }
  } finally {
    agent.destroy();
  }
  return median(samples);
}

/** A bundled asset the list page links (/_astro/...), else any static file it links (e.g. the favicon). */
async function findStaticAsset(baseUrl: string, listPath: string, cookie: string): Promise<string> {
  const response = await fetch(new URL(listPath, baseUrl), { headers: { cookie } });
  const html = await response.text();
  if (!response.ok) throw new Error(`the list page answered HTTP ${response.status}`);
  const match =
    /(?:href|src)="(\/_astro\/[^"?#]+)"/.exec(html) ?? /(?:href|src)="(\/[^"?#]+\.(?:css|js|svg|png|ico|woff2?))"/.exec(html);
  if (!match?.[1]) throw new Error('the list page links no static asset (css, js, svg, font) to measure against');
  return match[1];
}
