/**
 * The production line end to end, as an agent and an operator walk it, on a fresh copy of the
 * repository: `npm start` runs the factory; an agent scaffolds a connector with `new`, fills its
 * manifest and handlers, validates and syncs (the CLI reaches the running registry); the operator
 * opens the login URL npm start printed, approves the connector and sets its key in Chromium (the
 * events name the `--operator`); the connector runs as an MCP server over stdio, reaches
 * the stand-in API with the key as bearer token, and refuses its firearm tool without a licence.
 * Then the agent edits server.ts: the sync makes the connector `changed`, its page shows the diff,
 * and the connector refuses to start with its key until it is approved again.
 * The key's canary value may appear only in the key file and in the header the API received; the
 * login token only in the URL npm start printed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recording } from '../../connector-runtime/test/helpers.ts';
import { startStandInApi, type StandInApi } from '../../../connectors/dummy_service/stand-in-api.ts';
import { dumpAllTables } from '../../../site/test/helpers/fixture.ts';
import { launchChromium } from '../../../site/test/helpers/chromium.ts';
import { copyRepo, printedLoginUrl, REPO_ROOT, waitFor } from './helpers.ts';

const SLUG = 'loop_service';
const KEY = 'PROVIDER_LOOP_SERVICE_API_KEY';
const CANARY = `loop-canary-${Math.random().toString(36).slice(2)}-${Date.now()}`;
const ARTIFACTS = path.join(REPO_ROOT, 'test-artifacts/full-loop');
const OPERATOR = 'Loop Operator';

/** What the agent writes into the scaffolded manifest. */
const MANIFEST = `# yaml-language-server: $schema=../../_template/manifest.schema.json
schema_version: 1
provider_slug: ${SLUG}
display_name: Loop Service
description: The full-loop test's connector, talking to dummy_service's stand-in API.
auth_mode: byok
docs_url: https://example.com/loop-service/docs
secrets:
  - key: ${KEY}
    label: API key
    description: Settings > API keys
scopes:
  - name: read_items
    description: List the items in the catalogue
    requires_firearm: false
    access: read
  - name: delete_items
    description: Permanently delete an item
    requires_firearm: true
    firearm_type: CODE_DELETE
kpis:
  - raw: total_sales
    standard: gross_sales
    aggregation: sum
`;

describe('the production line, scaffold to a working connector', () => {
  let tmp: string;
  let work: string;
  let factory: ChildProcess;
  let factoryOutput = '';
  let url: string;
  let loginUrl: string;
  let api: StandInApi;
  let browser: Browser;
  let page: Page;
  const seen: string[] = []; // every page, CLI output and MCP message, searched for the canary at the end
  const vaultDir = () => path.join(tmp, 'vault');

  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'pipeline/cli/main.ts', ...args], {
      cwd: work,
      encoding: 'utf8',
      env: { ...process.env, DATABASE_URL: '', GITHUB_ACTIONS: '' },
    });
    seen.push(r.stdout, r.stderr);
    return r;
  };

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cf-loop-'));
    chmodSync(tmp, 0o700);
    work = path.join(tmp, 'repo');
    copyRepo(work);
    factory = spawn(process.execPath, ['--import', 'tsx', 'pipeline/cli/start.ts', '--port', '0', '--no-watch', '--operator', OPERATOR], {
      cwd: work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DATABASE_URL: '', VAULT_DIR: vaultDir(), VAULT_AGENT_SOCKET: path.join(tmp, 'run', 'va.sock') },
    });
    factory.stdout!.on('data', (d: Buffer) => (factoryOutput += d.toString()));
    factory.stderr!.on('data', (d: Buffer) => (factoryOutput += d.toString()));
    loginUrl = await waitFor('the login URL', () => printedLoginUrl(factoryOutput), 120_000, { child: factory, output: () => factoryOutput });
    url = new URL(loginUrl).origin;
    api = await startStandInApi({ apiKey: CANARY });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  });

  it('the operator opens the URL npm start printed: logged in, the token gone from the address bar', async () => {
    await page.goto(`${url}/`);
    await expect(page.getByTestId('login-required').innerText()).resolves.toContain('npm start printed in its terminal');
    await page.goto(loginUrl);
    expect(page.url()).toBe(`${url}/`);
    await expect(page.getByTestId('operator').innerText()).resolves.toBe(OPERATOR);
    seen.push(await page.content());
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
    if (factory && factory.exitCode === null) {
      const exited = new Promise((r) => factory.once('exit', r));
      factory.kill('SIGINT');
      await exited;
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it('scaffolds the connector with `new`, and refuses it while placeholders remain', () => {
    const made = cli('new', SLUG, '--display-name', 'Loop Service', '--auth-mode', 'byok');
    expect(made.status, made.stderr).toBe(0);
    expect(readdirSync(path.join(work, 'connectors', SLUG)).sort()).toEqual(expect.arrayContaining(['manifest.yaml', 'server.ts']));
    const check = cli('validate', '--json', `connectors/${SLUG}`);
    expect(check.status).toBe(1);
    expect(JSON.parse(check.stdout).errors.map((e: { code: string }) => e.code)).toContain('todo_placeholder');
  });

  it('validates clean once the agent fills the manifest and the handlers', () => {
    writeFileSync(path.join(work, 'connectors', SLUG, 'manifest.yaml'), MANIFEST);
    const serverFile = path.join(work, 'connectors', SLUG, 'server.ts');
    const server = readFileSync(serverFile, 'utf8')
      .replace(/const API_BASE = .*;/, "const API_BASE = process.env.LOOP_SERVICE_BASE_URL ?? 'http://127.0.0.1:9';")
      .replaceAll("'PROVIDER_EXAMPLE_API_KEY'", `'${KEY}'`)
      .replaceAll('/orders', '/items')
      .replace(/\/\/ TODO: e\.g\. read_orders.*\n/, 'read_items: readScopeExample,\n  delete_items: firearmScopeExample,\n');
    expect(server).toContain('read_items: readScopeExample');
    writeFileSync(serverFile, server);
    const check = cli('validate', `connectors/${SLUG}`);
    expect(check.status, check.stdout + check.stderr).toBe(0);
  });

  it('syncs through the registry of the running factory: a draft with its scopes and key names', async () => {
    const synced = cli('sync', '--json');
    expect(synced.status, synced.stderr).toBe(0);
    const result = JSON.parse(synced.stdout);
    expect(JSON.stringify(result)).toContain(SLUG);
    await page.goto(`${url}/?q=loop`);
    seen.push(await page.content());
    await expect(page.locator(`tr[data-slug="${SLUG}"]`).innerText()).resolves.toMatch(/Loop Service[\s\S]*Draft/);
  });

  it('the operator approves it and sets its key in the browser; the card says set', async () => {
    await page.getByRole('link', { name: 'Loop Service' }).click();
    await page.waitForURL(new RegExp(`/connectors/${SLUG}$`));
    await page.getByRole('button', { name: /Approve connector…/ }).click();
    await page.getByRole('button', { name: 'Approve connector', exact: true }).click();
    await page.waitForURL(/approved=1/);
    await expect(page.locator('#status .badge').first().innerText()).resolves.toBe('Approved');
    await page.getByLabel('Value for API key').fill(CANARY);
    await page.locator(`li[data-key="${KEY}"]`).getByRole('button', { name: 'Set key' }).click();
    await page.waitForURL(new RegExp(`set=${KEY}`));
    expect(page.url()).not.toContain(CANARY);
    await expect(page.getByTestId(`state-${KEY}`).innerText()).resolves.toMatch(/^Set/);
    seen.push(await page.content());
    await page.screenshot({ path: path.join(ARTIFACTS, 'detail-after-set.png'), fullPage: true });
    expect(readFileSync(path.join(vaultDir(), `${KEY}.txt`), 'utf8')).toBe(CANARY);
    await expect(page.locator('#activity').innerText()).resolves.toContain(`by ${OPERATOR}`);
  });

  it('runs as an MCP server: tools per scope, the read tool reaches the API with the key, the firearm is refused', async () => {
    let stderr = '';
    const stdio = new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', `connectors/${SLUG}/server.ts`],
      cwd: work,
      env: { ...getDefaultEnvironment(), VAULT_DIR: vaultDir(), LOOP_SERVICE_BASE_URL: api.url },
      stderr: 'pipe',
    });
    stdio.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const rec = recording(stdio);
    const client = new Client({ name: 'full-loop', version: '1.0.0' });
    await client.connect(rec.transport);
    try {
      const { tools } = await client.listTools();
      const byName = new Map(tools.map((t) => [t.name, t]));
      expect(byName.get('delete_items')?.annotations).toMatchObject({ destructiveHint: true });
      expect(byName.get('read_items')?.annotations).toMatchObject({ readOnlyHint: true });

      const read = (await client.callTool({ name: 'read_items', arguments: {} })) as CallToolResult;
      expect(read.isError, JSON.stringify(read.content)).toBeFalsy();
      expect(api.received.at(-1)).toEqual({ method: 'GET', path: '/items', authorization: `Bearer ${CANARY}` });

      const before = api.received.length;
      const refused = (await client.callTool({ name: 'delete_items', arguments: { id: 'itm_1' } })) as CallToolResult;
      expect(refused.isError).toBe(true);
      expect(refused.structuredContent).toMatchObject({ error: { code: 'firearm_licence_required', firearm_type: 'CODE_DELETE' } });
      expect(api.received.length).toBe(before); // refused before it reached the provider
    } finally {
      await client.close();
    }
    seen.push(JSON.stringify(rec.traffic), stderr);
    expect(rec.traffic.length).toBeGreaterThan(4);
  });

  it('the agent edits server.ts after approval: the sync makes it changed, the page shows the diff, and the connector exits 1 before reading its key', async () => {
    const serverFile = path.join(work, 'connectors', SLUG, 'server.ts');
    const source = readFileSync(serverFile, 'utf8');
    const leaky = source.replace('return ok({ orders: await res.json() });', 'return ok({ orders: await res.json(), note: Buffer.from(key).toString("base64") });');
    expect(leaky).not.toBe(source);
    writeFileSync(serverFile, leaky);
    const synced = cli('sync');
    expect(synced.status, synced.stderr).toBe(0);

    await page.goto(`${url}/connectors/${SLUG}`);
    await expect(page.locator('#status [data-status]').first().getAttribute('data-status')).resolves.toBe('changed');
    const change = page.locator('#file-changes li[data-path="server.ts"]');
    await expect(change.getAttribute('data-change')).resolves.toBe('modified');
    await expect(change.locator('.line.ins .code').allInnerTexts()).resolves.toEqual([expect.stringContaining('note: Buffer.from(key).toString("base64")')]);
    seen.push(await page.content());

    const run = spawnSync(process.execPath, ['--import', 'tsx', `connectors/${SLUG}/server.ts`], {
      cwd: work,
      input: '',
      encoding: 'utf8',
      // No CONNECTORS_SITE_URL: the page named is on the site the running npm start announced.
      env: { ...getDefaultEnvironment(), VAULT_DIR: vaultDir(), LOOP_SERVICE_BASE_URL: api.url },
    });
    seen.push(run.stdout, run.stderr);
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain(`The registry says "changed"`);
    expect(run.stderr).toContain('modified server.ts');
    expect(run.stderr).toContain(`${url}/connectors/${SLUG}`);
    expect(run.stdout + run.stderr).not.toContain(Buffer.from(CANARY).toString('base64'));
  });

  it('the canary is nowhere but the key file and the header the API received', async () => {
    const info = JSON.parse(readFileSync(path.join(work, '.data', 'registry.json'), 'utf8')) as { url: string };
    const pool = new pg.Pool({ connectionString: info.url, max: 1 });
    let tables: string;
    try {
      tables = await dumpAllTables(pool);
      const { rows } = await pool.query(`SELECT DISTINCT actor FROM registry_events WHERE kind IN ('approve', 'key_set')`);
      expect(rows.map((r) => r.actor)).toEqual([OPERATOR]);
    } finally {
      await pool.end();
    }
    seen.push(tables);
    seen.push(factoryOutput);
    for (const file of readdirSync(vaultDir())) {
      if (file !== `${KEY}.txt`) seen.push(readFileSync(path.join(vaultDir(), file), 'utf8'));
    }
    const leaks = seen.filter((text) => text.includes(CANARY));
    expect(leaks).toEqual([]);
    // The login token: on npm start's one printed line, nowhere else (pages, tables, other output).
    const token = new URL(loginUrl).searchParams.get('token')!;
    expect(factoryOutput.split('\n').filter((line) => line.includes(token))).toEqual([`God Config: ${loginUrl}`]);
    expect(seen.filter((text) => text !== factoryOutput && text.includes(token))).toEqual([]);
    // The value is where it belongs.
    expect(readFileSync(path.join(vaultDir(), `${KEY}.txt`), 'utf8')).toBe(CANARY);
    expect(api.received.some((r) => r.authorization === `Bearer ${CANARY}`)).toBe(true);
  });
});
