/**
 * The God Config site's own HTTP server. It owns the socket and applies DESIGN.md's security
 * rules (Host allowlist, methods, the operator's login, body limits, Origin, CSRF, headers) before
 * the built Astro handler renders anything, then hands the pages their adapters through Astro
 * `locals`.
 *
 *   const site = await startSite({ databaseUrl, vaultSocket });
 *   site.loginUrl  // http://127.0.0.1:4321/?token=... : print it to the operator, nowhere else
 */
import http from 'node:http';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type pg from 'pg';
import { createPool, isConnectionLost, lostReason } from '../pipeline/registry/pool.ts';
import { CLIENT_DIR, ENTRY_FILE, ensureSiteBuilt } from './build.ts';
import { createCsrfTokens } from './http/csrf.ts';
import { createStaticHandler } from './http/static.ts';
import { checkAddress, checkStateChange, wantsJson, type Verdict } from './http/guard.ts';
import { checkOperator } from './http/operator-access.ts';
import { createSessions, type Sessions } from './http/session.ts';
import { findStylesheets, loginMessage, loginPage, type LoginRefusal } from './http/login-page.ts';
import { SECURITY_HEADERS, STATE_CHANGING, allowedHosts } from './http/security.ts';
import { PageCache, cacheKeyFor, type PageCacheOptions, type PageCacheStats } from './http/page-cache.ts';
import { captureResponse, type Capture } from './http/capture-response.ts';
import { coalesceAfterArrival } from './http/coalesce.ts';
import { readFreshness, type Freshness } from './http/freshness.ts';
import { createVaultPort } from './http/vault.ts';
import { createApprovalsPort } from './http/approvals.ts';
import { createLicencesPort } from './http/licences.ts';
import { createOAuthStates } from './http/oauth-states.ts';
import type { ApprovalsPort, LicencesPort, PipelineStateView, SiteLocals, VaultPort } from './src/lib/ports.ts';

export { ensureSiteBuilt } from './build.ts';

export interface StartSiteOptions {
  /** Bind address. Default 127.0.0.1: the site is for the operator on this machine. */
  host?: string;
  /** Default 4321; 0 picks a free port (tests). */
  port?: number;
  /** The registry. Either this or `pool`. */
  databaseUrl?: string;
  /** An open pool to the registry (e.g. `npm start`'s); the site does not close it. */
  pool?: pg.Pool;
  /** vault-agent's unix socket. */
  vaultSocket: string;
  /** Request and event lines; never given a secret value. Default: nothing. */
  log?: (line: string) => void;
  /** Who approvals and key-set events name (npm start's `--operator`). Default: the OS user running the site. */
  actor?: string;
  /** Connections the site's own pool may open. Default 4. */
  poolSize?: number;
  /** `npm start`'s latest sync outcome, shown on every page while a manifest is broken. */
  pipelineState?: () => PipelineStateView;
  /** Rendered GET pages kept while provably current (site/http/page-cache.ts); false turns it off. */
  pageCache?: PageCacheOptions | false;
  /** Test seam: the clock OAuth connect's one-time states expire by (http/oauth-states.ts). Default Date.now. */
  oauthClock?: () => number;
}

export interface RunningSite {
  /** http://HOST:PORT, without a login. */
  url: string;
  /**
   * `url` with this run's login token (`/?token=...`): opening it logs a browser in. Show it only
   * to the operator (npm start prints it); it is never logged or stored by the site.
   */
  loginUrl: string;
  /** The rendered-page cache, or null when turned off: its figures, and its bodies for canary checks. */
  pageCache: { stats(): PageCacheStats; bodies(): string[] } | null;
  close(): Promise<void>;
}

type AstroHandler = (req: http.IncomingMessage, res: http.ServerResponse, next: undefined, locals: SiteLocals) => Promise<void>;

export async function startSite(options: StartSiteOptions): Promise<RunningSite> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  if (!options.pool && !options.databaseUrl) {
    throw new Error('startSite needs the registry: pass databaseUrl (or DATABASE_URL) or an open pool.');
  }
  await ensureSiteBuilt({ log });
  const { handler, pageMap } = (await import(pathToFileURL(ENTRY_FILE).href)) as {
    handler: AstroHandler;
    pageMap: Map<string, () => Promise<unknown>>;
  };
  // Astro's page map calls import() on every request. Under tsx (npm start) each of those is a
  // round trip to the module-hooks thread, so load every page once now and hand back the module.
  for (const [component, load] of pageMap) {
    const loaded = await load();
    pageMap.set(component, () => Promise.resolve(loaded));
  }
  const serveStatic = await createStaticHandler(CLIENT_DIR);
  const stylesheets = await findStylesheets(CLIENT_DIR);

  // A dropped connection (registry restarted), idle or in use, must not crash the site; the next query reconnects.
  const ownPool = options.pool
    ? null
    : createPool(options.databaseUrl!, { max: options.poolSize ?? 4, onLost: (err) => log(`registry connection lost: ${lostReason(err)}`) });
  const db = options.pool ?? ownPool!;
  const csrf = createCsrfTokens();
  const vault = createVaultPort(options.vaultSocket);
  const cache = options.pageCache === false ? null : new PageCache(options.pageCache ?? {});
  // One registry + vault-agent reading shared by the requests that arrived before it started.
  const readFresh = coalesceAfterArrival(() => readFreshness(db, vault));
  const baseLocals = {
    db,
    vault: invalidatingVault(vault, cache),
    approvals: invalidatingApprovals(createApprovalsPort(db), cache),
    licences: invalidatingLicences(createLicencesPort(db), cache),
    oauth: createOAuthStates(options.oauthClock),
    actor: options.actor ?? os.userInfo().username,
    log,
  };

  let hosts = new Set<string>();
  let sessions: Sessions; // made once the port is known (the cookie's name carries it)
  let siteUrl = '';
  const server = http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    // Only the path is logged: the query string is the operator's search or the login token.
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(`${req.method} ${pathname} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value as string);
    const refuse = (verdict: Exclude<Verdict, { ok: true }>) => {
      res.writeHead(verdict.status, { 'Content-Type': verdict.json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(verdict.json ? JSON.stringify({ ok: false, code: verdict.code, message: verdict.message }) : `${verdict.message}\n`);
    };
    // The registry is away (npm start is reconnecting): every page says so, rather than "internal error".
    const refuseUnreachable = (reason: string) => {
      const message = `The registry is unreachable (${reason}); npm start keeps reconnecting. Try again in a moment.`;
      if (wantsJson(req)) return refuse({ ok: false, status: 503, code: 'registry_unreachable', message, json: true });
      res.writeHead(503, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', 'Retry-After': '2' });
      res.end(registryUnreachablePage(reason));
    };
    const refuseLogin = (reason: LoginRefusal) => {
      if (wantsJson(req)) return refuse({ ok: false, status: 401, code: reason, message: loginMessage(reason, siteUrl).message, json: true });
      // Reached by a link from another site, the SameSite=Strict cookie was held back: load once more from here.
      const site = req.headers['sec-fetch-site'];
      const bounce = req.method === 'GET' && req.headers['sec-fetch-mode'] === 'navigate' && (site === 'cross-site' || site === 'same-site');
      res.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(loginPage({ reason, siteUrl, stylesheets, bounce }));
    };
    try {
      const address = checkAddress(req, hosts);
      if (!address.ok) return refuse(address);
      // Assets are public, so the 401 page is styled; they hold nothing of the registry.
      if (serveStatic(req, res, pathname)) return;
      const access = checkOperator(req, sessions);
      if (!access.ok && access.kind === 'login') {
        res.writeHead(303, { Location: access.location, 'Set-Cookie': access.cookie, 'Cache-Control': 'no-store' });
        return res.end();
      }
      if (!access.ok) return refuseLogin(access.reason);
      const verdict = await checkStateChange(req, csrf, access.sessionId);
      if (!verdict.ok) return refuse(verdict);
      if (req.method === 'POST' && pathname === '/logout') {
        sessions.end(access.sessionId);
        res.writeHead(303, { Location: '/?logged_out=1', 'Set-Cookie': sessions.clearCookie(), 'Cache-Control': 'no-store' });
        return res.end();
      }
      // Pages hold forms and live registry state: never cached by the browser or anyone between;
      // only this server keeps a page, and only while it is provably current (page-cache.ts).
      res.setHeader('Cache-Control', 'no-store');
      const pipelineState = options.pipelineState?.() ?? null;
      if (pipelineState?.registry?.reachable === false) return refuseUnreachable(pipelineState.registry.reason ?? 'no answer');
      // A page holds a CSRF token bound to its session: it is served again only to that session.
      const pageKey = cache ? cacheKeyFor(req.method, req.headers.host, req.url) : null;
      const key = pageKey && `${access.sessionId} ${pageKey}`;
      let fresh: Freshness | null = null;
      let capture: Capture | null = null;
      let stamp = '';
      const epoch = cache?.epoch ?? 0; // before the reading: a site write after this drops the page
      if (cache && key) {
        // A registry that cannot be read cannot vouch for a page: render (and fail) as usual.
        fresh = await readFresh().catch((err: Error) => {
          log(`page cache skipped for ${pathname}: could not read the registry generation (${err.message})`);
          return null;
        });
        if (fresh) {
          stamp = `${fresh.stamp}|${pipelineFingerprint(pipelineState)}`;
          const hit = cache.get(key, stamp, epoch);
          if (hit) {
            res.setHeader('X-Page-Cache', 'hit');
            res.writeHead(hit.status, { ...hit.headers, 'content-length': hit.body.length });
            res.end(hit.body);
            return;
          }
          res.setHeader('X-Page-Cache', 'miss');
          capture = captureResponse(res);
        }
      }
      if (!capture && req.method === 'GET') res.setHeader('X-Page-Cache', 'bypass');
      const listed = fresh?.vault ?? null;
      try {
        await handler(req, res, undefined, {
          ...baseLocals,
          // The page's key list is the one just read for the stamp: as fresh, and one call fewer.
          vault: listed ? { ...baseLocals.vault, list: () => Promise.resolve(listed) } : baseLocals.vault,
          csrfToken: csrf.issue(access.sessionId),
          // OAuth connect binds its one-time state to this session (http/oauth-states.ts).
          sessionId: access.sessionId,
          pipelineState,
        });
      } finally {
        // Whatever a post changed, no page rendered before it may be served after it.
        if (cache && STATE_CHANGING.has(req.method ?? '')) cache.invalidate();
      }
      const page = capture?.result();
      if (cache && key && page) cache.set(key, stamp, epoch, page);
    } catch (err) {
      log(`error serving ${req.method} ${pathname}: ${(err as Error).name}`);
      if (!res.headersSent && isConnectionLost(err)) {
        refuseUnreachable(lostReason(err));
      } else if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end('The site hit an internal error. Check its log and reload.\n');
      } else {
        res.destroy();
      }
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4321, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (!address || typeof address !== 'object') throw new Error('the site server has no TCP address');
  hosts = allowedHosts(host, address.port);
  sessions = createSessions(address.port);
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  siteUrl = `http://${urlHost}:${address.port}`;

  return {
    url: siteUrl,
    loginUrl: `${siteUrl}/?token=${sessions.loginToken}`,
    pageCache: cache && { stats: () => cache.stats(), bodies: () => cache.bodies() },
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      vault.close();
      await ownPool?.end();
    },
  };
}

/** vault-agent with every key write (done, failed or unknown) clearing the page cache. */
function invalidatingVault(vault: VaultPort, cache: PageCache | null): VaultPort {
  if (!cache) return vault;
  return {
    ...vault,
    list: () => vault.list(),
    put: (name, value, oauth) => vault.put(name, value, oauth).finally(() => cache.invalidate()),
    remove: (name) => vault.remove(name).finally(() => cache.invalidate()),
    oauthExchange: (req) => vault.oauthExchange(req).finally(() => cache.invalidate()),
  };
}

/** Approvals with every attempt clearing the page cache once the registry answered. */
function invalidatingApprovals(approvals: ApprovalsPort, cache: PageCache | null): ApprovalsPort {
  if (!cache) return approvals;
  return {
    approveProvider: (input) => approvals.approveProvider(input).finally(() => cache.invalidate()),
    approveKpiMapping: (input) => approvals.approveKpiMapping(input).finally(() => cache.invalidate()),
    approveAllKpiMappings: (input) => approvals.approveAllKpiMappings(input).finally(() => cache.invalidate()),
    revokeApproval: (input) => approvals.revokeApproval(input).finally(() => cache.invalidate()),
  };
}

/** Licences with every decision clearing the page cache once the registry answered. */
function invalidatingLicences(licences: LicencesPort, cache: PageCache | null): LicencesPort {
  if (!cache) return licences;
  const after = <T>(p: Promise<T>) => p.finally(() => cache.invalidate());
  return {
    ...licences,
    grant: (input) => after(licences.grant(input)),
    revoke: (id, actor) => after(licences.revoke(id, actor)),
    approveRequest: (id, actor) => after(licences.approveRequest(id, actor)),
    denyRequest: (id, actor) => after(licences.denyRequest(id, actor)),
  };
}

/**
 * What the pipeline banner shows (npm start's latest sync), as a stamp part: the error, the
 * problem count and the first problems (the banner lists 10), and when it checked.
 */
function pipelineFingerprint(state: PipelineStateView | null): string {
  if (!state) return '';
  const errors = state.validation?.errors ?? [];
  return JSON.stringify([state.error, state.validation?.ok ?? null, errors.length, errors.slice(0, 20), state.syncedAt, state.registry?.reachable ?? null]);
}

/** The page every request gets while the registry cannot be read: what is wrong, and that npm start is on it. */
function registryUnreachablePage(reason: string): string {
  const text = reason.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Registry unreachable</title></head><body>
<section class="notice error" role="alert" data-testid="registry-banner"><strong>The registry is unreachable</strong> (${text}).
npm start keeps reconnecting, with a growing pause between tries. Reload this page in a moment.</section></body></html>\n`;
}
