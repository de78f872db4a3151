/**
 * Load against the running site, on loopback only and bounded in time: p50 latency from one
 * keep-alive connection sending one request at a time (the server's time plus the loopback hop,
 * not queueing; timed with hrtime, as autocannon's histogram rounds to whole milliseconds), then
 * throughput with autocannon over several connections. It logs in first as the operator does
 * (opens the login URL, keeps the session cookie) and sends the cookie with every page request.
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
}

export interface PageLoad {
  path: string;
  p50_ms: number;
  rps: number;
  /** CPU milliseconds each process spent per request during the throughput phase (Linux only). */
  cpu_ms_per_request: Record<string, number>;
}

export interface SiteLoad {
  list: PageLoad;
  detail: PageLoad;
  static: PageLoad;
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
  return { list: await measure(listPath), detail: await measure(detailPath), static: await measure(staticPath) };
}

/** Opens the login URL as a browser would; answers the session cookie ("name=value"). */
async function login(loginUrl: string): Promise<string> {
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
