/**
 * A whole running God Config site for a test: a fresh registry database (PGlite or PostgreSQL,
 * from the registry's test harness) with the schema applied, a real vault-agent on a unix socket
 * in a temp dir, and the site on a random loopback port, logged in as the operator (its login URL
 * opened once; `request()` and `launchChromium()` browsers carry the session, see login.ts).
 * Everything the site logs is kept so tests can search it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase, type FreshDatabase, type TestBackend } from '../../../pipeline/registry/testing.ts';
import { migrateRegistry } from '../../../pipeline/registry/migrate.ts';
import { startVaultAgent, type RunningVaultAgent } from '../../../vault-agent/src/server.ts';
import { startSite, type RunningSite, type StartSiteOptions } from '../../server.ts';
import { forgetSession, loginOverHttp } from './login.ts';

export interface SiteFixture {
  backend: TestBackend;
  /** The site's address; requests through helpers/http.ts carry the fixture's session. */
  url: string;
  /** The login URL with this run's token, as npm start would print it. */
  loginUrl: string;
  /** The session cookie ("name=value") the fixture logged in with. */
  cookie: string;
  /** The site's Host as tests should send it. */
  host: string;
  db: pg.Pool;
  databaseUrl: string;
  tmp: string;
  vaultDir: string;
  vaultSocket: string;
  /** Lines the site and vault-agent logged. */
  logs: string[];
  /** The site's rendered-page cache (null when the test turned it off). */
  pageCache: RunningSite['pageCache'];
  stopVault(): Promise<void>;
  startVault(): Promise<void>;
  close(): Promise<void>;
}

export async function startFixture(backend: TestBackend, extra: Partial<StartSiteOptions> = {}): Promise<SiteFixture> {
  const database: FreshDatabase = await freshDatabase(backend);
  await migrateRegistry(database.url);
  const db = new pg.Pool({ connectionString: database.url, max: 2 });
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'site-test-'));
  const vaultDir = path.join(tmp, 'vault');
  const vaultSocket = path.join(tmp, 'run', 'vault-agent.sock');
  const logs: string[] = [];
  let agent: RunningVaultAgent | null = null;
  const startVault = async () => {
    agent = await startVaultAgent({ vaultDir, socketPath: vaultSocket, log: (l) => logs.push(`vault: ${l}`) });
  };
  await startVault();
  let site: RunningSite | null = null;
  let cookie: string;
  try {
    site = await startSite({
      port: 0,
      databaseUrl: database.url,
      vaultSocket,
      log: (l) => logs.push(`site: ${l}`),
      actor: 'tester',
      ...extra,
    });
    cookie = await loginOverHttp(site.loginUrl, { remember: true });
  } catch (err) {
    await site?.close();
    await agent!.close();
    await db.end();
    await database.drop();
    throw err;
  }
  return {
    backend,
    url: site.url,
    loginUrl: site.loginUrl,
    cookie,
    host: new URL(site.url).host,
    db,
    databaseUrl: database.url,
    tmp,
    vaultDir,
    vaultSocket,
    logs,
    pageCache: site.pageCache,
    startVault,
    async stopVault() {
      await agent?.close();
      agent = null;
    },
    async close() {
      forgetSession(site.url);
      await site.close();
      await agent?.close();
      await db.end();
      await database.drop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** The CSRF token a page hands its forms. */
export function csrfFrom(html: string): string {
  const match = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
  if (!match?.[1]) throw new Error('the page has no csrf-token meta tag');
  return match[1];
}

/** Every row of every table in the public schema, as text: for "the value is nowhere" checks. */
export async function dumpAllTables(db: pg.Pool): Promise<string> {
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT quote_ident(table_name) AS name FROM information_schema.tables
     WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
  );
  let dump = '';
  for (const { name } of tables) {
    const { rows } = await db.query(`SELECT t::text AS row FROM ${name} t`);
    dump += `${name}\n${rows.map((r) => r.row).join('\n')}\n`;
  }
  return dump;
}
