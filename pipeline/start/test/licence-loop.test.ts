/**
 * The firearm licence loop as it happens, on a fresh copy of the repository: `npm start` runs the
 * factory; the operator logs in with the URL it printed, approves dummy_service and sets its key in
 * Chromium; an agent (the official MCP SDK's client over stdio) calls dummy_service's firearm tool
 * against its stand-in API:
 *   refused with firearm_licence_required, request_id and approve_url
 *   → the operator opens approve_url in Chromium, reads the request and its arguments, Approve once, confirms
 *   → the same call runs once; a second identical call is refused
 *   → a one-hour licence granted in Chromium from the connector page → calls run
 *   → Revoke in Chromium → the next call is refused.
 * Then: a client that supports URL-mode elicitation waits inside its call while the operator approves
 * in Chromium, and a denied request's argument values are gone from every page and table.
 * The key's canary is in no page, MCP message, log line or table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitRequestURLParams, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recording } from '../../connector-runtime/test/helpers.ts';
import { startStandInApi, type StandInApi } from '../../../connectors/dummy_service/stand-in-api.ts';
import { dumpAllTables } from '../../../site/test/helpers/fixture.ts';
import { launchChromium } from '../../../site/test/helpers/chromium.ts';
import { copyRepo, printedLoginUrl, REPO_ROOT, waitFor } from './helpers.ts';

const SLUG = 'dummy_service';
const KEY = 'PROVIDER_DUMMY_SERVICE_API_KEY';
const CANARY = `licence-loop-key-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const ARG_CANARY = `itm_argcanary_${Math.random().toString(36).slice(2)}`;
const OPERATOR = 'Licence Operator';
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts/licence-loop');
const ITEMS = ['itm_1', 'itm_2', 'itm_3', 'itm_4', 'itm_5'].map((id, i) => ({ id, name: `Item ${i + 1}`, total_sales: 100 * (i + 1) }));

/** The factory and the connector both use the copy's own `.data/` (the default), whatever this shell set. */
function withoutDataDir(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { CONNECTORS_DATA_DIR: _ignored, ...rest } = env;
  return rest;
}

interface Agent {
  client: Client;
  traffic: JSONRPCMessage[];
  stderr: () => string;
}

describe('firearm licences, from a refused call to a revoked licence, decided in Chromium', () => {
  let tmp: string;
  let work: string;
  let factory: ChildProcess;
  let factoryOutput = '';
  let url: string;
  let api: StandInApi;
  let browser: Browser;
  let page: Page;
  let agent: Agent;
  const agents: Agent[] = [];
  const seen: string[] = []; // pages and outputs, searched for the canaries at the end
  const vaultDir = () => path.join(tmp, 'vault');

  const snapshot = async (p: Page = page) => {
    const html = await settledContent(p);
    seen.push(html);
    return html;
  };

  /** dummy_service as an MCP server over stdio, found by the agent's client as any MCP host would start it. */
  const startAgent = async (elicit?: (params: ElicitRequestURLParams) => Promise<{ action: 'accept' | 'decline' }>): Promise<Agent> => {
    const stdio = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', `connectors/${SLUG}/server.ts`],
      cwd: work,
      env: {
        ...getDefaultEnvironment(),
        DATABASE_URL: '',
        VAULT_DIR: vaultDir(),
        DUMMY_SERVICE_BASE_URL: api.url,
        CONNECTORS_SITE_URL: url,
        CONNECTOR_LICENCE_POLL_MS: '50',
      },
      stderr: 'pipe',
    });
    let stderr = '';
    stdio.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const rec = recording(stdio);
    const client = new Client({ name: 'licence-loop', version: '1.0.0' }, elicit ? { capabilities: { elicitation: { url: {} } } } : {});
    if (elicit) client.setRequestHandler(ElicitRequestSchema, (request) => elicit(request.params as ElicitRequestURLParams));
    await client.connect(rec.transport).catch((err: Error) => {
      throw new Error(`dummy_service did not start (${err.message}); its stderr:\n${stderr}`);
    });
    const started = { client, traffic: rec.traffic, stderr: () => stderr };
    agents.push(started);
    return started;
  };
  const del = async (a: Agent, id: string) => (await a.client.callTool({ name: 'delete_items', arguments: { id } })) as CallToolResult;
  const refusalOf = (r: CallToolResult) => {
    expect(r.isError, JSON.stringify(r.content)).toBe(true);
    return (r.structuredContent as { error: { code: string; request_id?: number; approve_url?: string; reason?: string } }).error;
  };
  const deletes = () => api.received.filter((r) => r.method === 'DELETE').map((r) => r.path);

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-licence-loop-'));
    chmodSync(tmp, 0o700);
    work = path.join(tmp, 'repo');
    copyRepo(work);
    factory = spawn(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', '--port', '0', '--no-watch', '--operator', OPERATOR], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...withoutDataDir(process.env), DATABASE_URL: '', VAULT_DIR: vaultDir(), VAULT_AGENT_SOCKET: path.join(tmp, 'run', 'va.sock') },
    });
    factory.stdout!.on('data', (d: Buffer) => (factoryOutput += d.toString()));
    factory.stderr!.on('data', (d: Buffer) => (factoryOutput += d.toString()));
    const loginUrl = await waitFor('the login URL', () => printedLoginUrl(factoryOutput), 120_000, { child: factory, output: () => factoryOutput });
    url = new URL(loginUrl).origin;
    api = await startStandInApi({ apiKey: CANARY, items: ITEMS });
    browser = await launchChromium({ loggedIn: false });
    // One context, so a second tab (the elicitation step) shares the operator's session.
    page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
    await page.goto(loginUrl);
    expect(page.url()).toBe(`${url}/`);
  });

  afterAll(async () => {
    for (const a of agents) await a.client.close().catch(() => undefined);
    await browser?.close();
    await api?.close();
    if (factory && factory.exitCode === null) {
      const exited = new Promise((r) => factory.once('exit', r));
      factory.kill('SIGINT');
      await exited;
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a draft connector cannot be licensed: its Grant form is disabled and says why', async () => {
    await page.goto(`${url}/connectors/${SLUG}`);
    const card = page.locator('#firearms');
    await expect(card.innerText()).resolves.toContain('Licences can be granted only for an approved connector, and this one is a draft');
    await expect(card.getByRole('button', { name: /^Grant/ }).isDisabled()).resolves.toBe(true);
    await snapshot();
  });

  it('the operator approves dummy_service and sets its key in Chromium', async () => {
    await page.getByRole('button', { name: /Approve connector…/ }).click();
    await page.getByRole('button', { name: 'Approve connector', exact: true }).click();
    await page.waitForURL(/approved=1/);
    await expect(page.locator('#status .badge').first().innerText()).resolves.toBe('Approved');
    await page.getByLabel('Value for API key').fill(CANARY);
    await page.locator(`li[data-key="${KEY}"]`).getByRole('button', { name: 'Set key' }).click();
    await page.waitForURL(new RegExp(`set=${KEY}`));
    await expect(page.locator('#firearms').getByRole('button', { name: /^Grant/ }).isDisabled()).resolves.toBe(false);
    await expect(page.getByTestId('no-licence-delete_items').innerText()).resolves.toContain('No active licence');
    await snapshot();
  });

  let requestId: number;

  it('the agent’s firearm call is refused with a request id and the approval URL, before reaching the API', async () => {
    agent = await startAgent();
    const refused = refusalOf(await del(agent, 'itm_1'));
    expect(refused).toMatchObject({ code: 'firearm_licence_required', reason: 'no_licence' });
    requestId = refused.request_id!;
    expect(typeof requestId).toBe('number');
    expect(refused.approve_url).toBe(`${url}/licences#request-${requestId}`);
    expect(deletes()).toEqual([]);
  });

  it('the operator opens approve_url, reads the request with its arguments, approves it once and confirms', async () => {
    await page.goto(`${url}/licences#request-${requestId}`);
    const request = page.locator(`#request-${requestId}`);
    const text = await request.innerText();
    expect(text).toContain(`Request #${requestId}`);
    expect(text).toContain('delete_items');
    expect(text).toContain('CODE_DELETE');
    expect(text).toContain('licence-loop 1.0.0');
    await expect(request.getByTestId('arguments').innerText()).resolves.toContain('"id": "itm_1"');
    await expect(page.getByTestId('nav-licences').innerText()).resolves.toMatch(/Licences\s*1/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'request.png'), fullPage: true });
    await snapshot();

    await request.getByRole('button', { name: /^Approve once/ }).click();
    const confirm = page.getByTestId('confirm');
    await expect(confirm.innerText()).resolves.toMatch(new RegExp(`Approve request #${requestId} once\\?[\\s\\S]*exactly one call of delete_items[\\s\\S]*within 15 minutes`));
    await expect(confirm.getByTestId('arguments').innerText()).resolves.toContain('"id": "itm_1"');
    await page.screenshot({ path: path.join(ARTIFACTS, 'approve-confirm.png'), fullPage: true });
    await snapshot();
    await confirm.getByRole('button', { name: 'Approve once' }).click();
    await page.waitForURL(new RegExp(`/licences\\?approved=${requestId}`));
    await expect(page.getByTestId('flash-licences').innerText()).resolves.toContain(`Approved request #${requestId} once`);
    await expect(page.locator(`#request-${requestId}`).count()).resolves.toBe(0);
  });

  it('the same call now runs exactly once; a second identical call is refused again', async () => {
    const ran = await del(agent, 'itm_1');
    expect(ran.isError, JSON.stringify(ran.content)).toBeFalsy();
    expect(ran.structuredContent).toEqual({ deleted: 'itm_1' });
    expect(api.received.at(-1)).toEqual({ method: 'DELETE', path: '/items/itm_1', authorization: `Bearer ${CANARY}` });
    const again = refusalOf(await del(agent, 'itm_1'));
    expect(again.code).toBe('firearm_licence_required');
    expect(again.request_id).not.toBe(requestId);
    expect(deletes()).toEqual(['/items/itm_1']);
  });

  let licenceId: number;

  it('the operator grants a one-hour licence from the connector page, confirming what it allows', async () => {
    await page.goto(`${url}/connectors/${SLUG}#firearms`);
    const scope = page.locator('[data-firearm-scope="delete_items"]');
    await scope.getByLabel('For').selectOption({ label: '1 hour' });
    await scope.getByLabel(/^Note/).fill('cleanup of test items');
    await scope.getByRole('button', { name: /^Grant/ }).click();
    const confirm = page.getByTestId('confirm');
    const words = await confirm.innerText();
    expect(words).toContain('Grant a firearm licence?');
    expect(words).toContain('Dummy Service (dummy_service)');
    expect(words).toContain('delete_items only');
    expect(words).toMatch(/1 hour from when you confirm, until about \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(words).toContain('any number of calls until it expires or is revoked');
    await page.screenshot({ path: path.join(ARTIFACTS, 'grant-confirm.png'), fullPage: true });
    await snapshot();
    await confirm.getByRole('button', { name: 'Grant licence' }).click();
    await page.waitForURL(/\/licences\?granted=\d+/);
    licenceId = Number(/granted=(\d+)/.exec(page.url())![1]);
    const row = page.locator(`tr#licence-${licenceId}`);
    await expect(row.innerText()).resolves.toMatch(/Dummy Service[\s\S]*CODE_DELETE[\s\S]*delete_items[\s\S]*by Licence Operator[\s\S]*0 \/ no limit[\s\S]*cleanup of test items/);
    await snapshot();
  });

  it('calls run under the licence, and the page counts them', async () => {
    for (const id of ['itm_2', 'itm_3']) {
      expect((await del(agent, id)).structuredContent).toEqual({ deleted: id });
    }
    expect(deletes()).toEqual(['/items/itm_1', '/items/itm_2', '/items/itm_3']);
    await page.goto(`${url}/licences`);
    await expect(page.locator(`tr#licence-${licenceId}`).innerText()).resolves.toContain('2 / no limit');
    await expect(page.locator('#uses').innerText()).resolves.toMatch(/delete_items[\s\S]*Succeeded[\s\S]*licence #\d+/);
    await page.screenshot({ path: path.join(ARTIFACTS, 'licences.png'), fullPage: true });
    await snapshot();
  });

  it('the operator revokes it in Chromium; the next call is refused', async () => {
    await page.locator(`tr#licence-${licenceId}`).getByRole('button', { name: `Revoke licence #${licenceId}` }).click();
    const confirm = page.getByTestId('confirm');
    await expect(confirm.innerText()).resolves.toMatch(new RegExp(`Revoke licence #${licenceId}\\?[\\s\\S]*2 calls \\(no limit\\)`));
    await snapshot();
    await confirm.getByRole('button', { name: 'Revoke licence' }).click();
    await page.waitForURL(new RegExp(`/licences\\?revoked=${licenceId}`));
    await expect(page.locator(`tr#licence-${licenceId}`).count()).resolves.toBe(0);
    const refused = refusalOf(await del(agent, 'itm_4'));
    expect(refused).toMatchObject({ code: 'firearm_licence_required', reason: 'no_licence' });
    expect(deletes()).toEqual(['/items/itm_1', '/items/itm_2', '/items/itm_3']);
  });

  it('a client with URL-mode elicitation waits inside its call while the operator approves in Chromium', async () => {
    // A second tab of the operator's browser (same context, so the same session cookie).
    const operator = await page.context().newPage();
    const elicited: string[] = [];
    const waiting = await startAgent(async (params) => {
      elicited.push(params.url);
      await operator.goto(params.url);
      const id = /#request-(\d+)$/.exec(params.url)![1];
      await operator.locator(`#request-${id}`).getByRole('button', { name: /^Approve once/ }).click();
      await operator.getByTestId('confirm').getByRole('button', { name: 'Approve once' }).click();
      await operator.waitForURL(/\/licences\?approved=\d+/);
      return { action: 'accept' };
    });
    const done = await del(waiting, 'itm_5');
    expect(done.structuredContent).toEqual({ deleted: 'itm_5' });
    expect(elicited).toHaveLength(1);
    expect(elicited[0]).toMatch(new RegExp(`^${url}/licences#request-\\d+$`));
    await snapshot(operator);
    await operator.close();
  });

  it('argument values show on their pending request only, and are gone once it is denied', async () => {
    const refused = refusalOf(await del(agent, ARG_CANARY));
    await page.goto(`${url}/licences`);
    const html = await snapshot();
    expect(html.split(ARG_CANARY).length - 1).toBe(1);
    await expect(page.locator(`#request-${refused.request_id}`).innerText()).resolves.toContain(ARG_CANARY);
    // Deny every pending request (this one and the earlier repeat of itm_1, itm_4).
    for (;;) {
      const deny = page.getByRole('button', { name: 'Deny' }).first();
      if ((await deny.count()) === 0) break;
      await deny.click();
      await page.waitForURL(/\/licences\?denied=\d+/);
    }
    const after = await snapshot();
    expect(after).not.toContain(ARG_CANARY);
    await page.goto(`${url}/connectors/${SLUG}`);
    expect(await snapshot()).not.toContain(ARG_CANARY);
    const info = JSON.parse(readFileSync(path.join(work, '.data', 'registry.json'), 'utf8')) as { url: string };
    const pool = new pg.Pool({ connectionString: info.url, max: 1 });
    try {
      const tables = await dumpAllTables(pool);
      expect(tables).not.toContain(ARG_CANARY);
      seen.push(tables);
      const { rows } = await pool.query<{ kind: string; actor: string }>(
        `SELECT kind, actor FROM registry_events WHERE kind LIKE 'licence%' ORDER BY id`,
      );
      expect(new Set(rows.map((r) => r.kind))).toEqual(new Set(['licence_request_approve', 'licence_grant', 'licence_revoke', 'licence_request_deny']));
      expect(new Set(rows.map((r) => r.actor))).toEqual(new Set([OPERATOR]));
    } finally {
      await pool.end();
    }
  });

  it('the key’s canary is in no page, MCP message, connector or factory output, or registry row', async () => {
    for (const a of agents) await a.client.close().catch(() => undefined);
    for (const a of agents) seen.push(JSON.stringify(a.traffic), a.stderr());
    seen.push(factoryOutput);
    expect(seen.filter((text) => text.includes(CANARY))).toEqual([]);
    expect(readFileSync(path.join(vaultDir(), `${KEY}.txt`), 'utf8')).toBe(CANARY);
  });
});

/**
 * The page's HTML once no navigation is under way: Playwright refuses content() while the page is
 * navigating (seen on a loaded machine right after a POST-redirect-GET had reached its URL), so it
 * waits for the load to finish and asks again; any other error is the test's.
 */
async function settledContent(p: Page): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await p.content();
    } catch (err) {
      if (attempt >= 10 || !/is navigating/.test((err as Error).message)) throw err;
      await p.waitForLoadState('load');
    }
  }
}
