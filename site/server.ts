/**
 * The God Config site's own HTTP server. It owns the socket and applies DESIGN.md's security
 * rules (Host allowlist, methods, body limits, Origin, CSRF, headers) before the built Astro
 * handler renders anything, then hands the pages their adapters through Astro `locals`.
 *
 *   const site = await startSite({ databaseUrl, vaultSocket });  // http://127.0.0.1:4321
 */
import http from 'node:http';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { CLIENT_DIR, ENTRY_FILE, ensureSiteBuilt } from './build.ts';
import { createCsrfTokens } from './http/csrf.ts';
import { createStaticHandler } from './http/static.ts';
import { guardRequest } from './http/guard.ts';
import { SECURITY_HEADERS, allowedHosts } from './http/security.ts';
import { createVaultPort } from './http/vault.ts';
import { createApprovalsPort } from './http/approvals.ts';
import type { PipelineStateView, SiteLocals } from './src/lib/ports.ts';

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
  /** Who approvals and key-set events name. Default `<os user>@god-config`. */
  actor?: string;
  /** Connections the site's own pool may open. Default 4. */
  poolSize?: number;
  /** `npm start`'s latest sync outcome, shown on every page while a manifest is broken. */
  pipelineState?: () => PipelineStateView;
}

export interface RunningSite {
  url: string;
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

  const ownPool = options.pool ? null : new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 4 });
  // A dropped idle connection (registry restarted) must not crash the site; the next query reconnects.
  ownPool?.on('error', (err) => log(`registry connection lost: ${err.message}`));
  const db = options.pool ?? ownPool!;
  const csrf = createCsrfTokens();
  const vault = createVaultPort(options.vaultSocket);
  const baseLocals = {
    db,
    vault,
    approvals: createApprovalsPort(db),
    actor: options.actor ?? `${os.userInfo().username}@god-config`,
    log,
  };

  let hosts = new Set<string>();
  const server = http.createServer(async (req, res) => {
    const started = process.hrtime.bigint();
    // Only the path is logged: the query string is the operator's search, and nothing else is needed.
    const pathname = (req.url ?? '/').split('?')[0] ?? '/';
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(`${req.method} ${pathname} ${res.statusCode} ${ms.toFixed(1)}ms`);
    });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value as string);
    try {
      const verdict = await guardRequest(req, hosts, csrf);
      if (!verdict.ok) {
        res.writeHead(verdict.status, { 'Content-Type': verdict.json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(verdict.json ? JSON.stringify({ ok: false, code: verdict.code, message: verdict.message }) : `${verdict.message}\n`);
        return;
      }
      if (serveStatic(req, res, pathname)) return;
      // Pages hold forms and live registry state: never cached, by the browser or anyone.
      res.setHeader('Cache-Control', 'no-store');
      await handler(req, res, undefined, {
        ...baseLocals,
        csrfToken: csrf.issue(),
        pipelineState: options.pipelineState?.() ?? null,
      });
    } catch (err) {
      log(`error serving ${req.method} ${pathname}: ${(err as Error).name}`);
      if (!res.headersSent) {
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
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${address.port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      vault.close();
      await ownPool?.end();
    },
  };
}
