/**
 * Approving a connector, revoking its approval, approving all of its KPI mappings and replacing a
 * key that is set, over HTTP against a real site, vault-agent and registry on every backend: the
 * confirmation step (a page for forms, 400 confirmation_required for JSON) says what the action
 * allows or ends and writes nothing; confirmed, the registry changes and the event names the
 * operator; CSRF in front of every route; and a replaced key's value never reaches a response, a
 * log, the database or the page cache. Then, in Chromium, the operator's walk: approve → confirm →
 * replace a key → revoke, with axe-core finding nothing wrong on any of these pages in either colour scheme.
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { checkAndConsume } from '../../pipeline/registry/licences.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { launchChromium } from './helpers/chromium.ts';
import { csrfFrom, dumpAllTables, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { everythingSeen, form, request, type Reply } from './helpers/http.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const CANARY = `replace-canary-${Math.random().toString(36).slice(2)}-K3y`;
const ACME_KEY = 'PROVIDER_ACME_SHOP_API_KEY';
const BETA_KEY = 'PROVIDER_BETA_CRM_API_KEY';
const WALK_KEY = 'PROVIDER_WALK_SHOP_API_KEY';
const sha = (c: string) => c.repeat(64);

const acme = testManifest('acme_shop', { display_name: 'Acme Shop' });
const beta = testManifest('beta_crm', {
  display_name: 'Beta CRM',
  scopes: [
    { name: 'read_contacts', description: 'Read contacts', requires_firearm: false },
    { name: 'refund_orders', description: 'Refund an order', requires_firearm: true, firearm_type: 'REFUND_ISSUE' },
    { name: 'delete_contacts', description: 'Delete contacts for good', requires_firearm: true, firearm_type: 'CODE_DELETE' },
  ],
});
const delta = testManifest('delta_ads', { display_name: 'Delta Ads' });
const kappa = testManifest('kappa_shop', {
  display_name: 'Kappa Shop',
  kpis: [
    { raw: 'total_sales', standard: 'gross_sales', aggregation: 'sum' },
    { raw: 'order_count', standard: 'orders', aggregation: 'sum' },
    { raw: 'spend', standard: 'ad_spend', aggregation: 'max' },
  ],
});
const walk = testManifest('walk_shop', { display_name: 'Walk Shop' });

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** What axe-core finds wrong on the page as it is, in the light and the dark colour scheme (one line each). */
async function axeViolations(tab: Page): Promise<string[]> {
  const found: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await tab.emulateMedia({ colorScheme });
    // Evaluated through the DevTools protocol: the site's CSP stays on.
    if (!(await tab.evaluate(() => 'axe' in window))) await tab.evaluate(AXE_SOURCE);
    const result = await tab.evaluate(() => {
      const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
      return axe.run(document, { resultTypes: ['violations'] });
    });
    found.push(...result.violations.flatMap((v) => v.nodes.map((n) => `${colorScheme} ${v.id} (${n.target.join(' ')})`)));
  }
  await tab.emulateMedia({ colorScheme: 'light' });
  return found;
}

describe.each(testBackends())('approval routes (%s)', (backend) => {
  let f: SiteFixture;
  let csrf: string;

  const page = (p: string) => request(`${f.url}${p}`);
  const postForm = (p: string, fields: Record<string, string>) => request(`${f.url}${p}`, { method: 'POST', ...form({ csrf, ...fields }) });
  const postJson = (p: string, body: unknown, token = csrf) =>
    request(`${f.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': token }, body: JSON.stringify(body) });
  const body = (r: Reply) => JSON.parse(r.body) as Record<string, unknown>;
  const provider = async (slug: string) =>
    (await f.db.query(`SELECT status, manifest_digest, approved_digest, approved_by FROM connector_providers WHERE provider_slug = $1`, [slug])).rows[0];
  const digestOf = async (slug: string) => (await provider(slug)).manifest_digest as string;
  const events = async (kind: string, slug: string) =>
    (await f.db.query<{ actor: string; details: Record<string, unknown> }>(`SELECT actor, details FROM registry_events WHERE kind = $1 AND provider_slug = $2 ORDER BY id`, [kind, slug]))
      .rows;
  const keyFile = (name: string) => readFile(path.join(f.vaultDir, `${name}.txt`), 'utf8');

  beforeAll(async () => {
    f = await startFixture(backend);
    await seedCatalog(f.db);
    await seedConnectors(f.db, [acme, delta, kappa], 'approved');
    await seedConnectors(f.db, [beta, walk], 'draft');
    // delta_ads changed after its approval: server.ts edited, a handler added.
    await f.db.query(
      `INSERT INTO connector_approved_files (provider_slug, path, sha256, size, text) VALUES ('delta_ads', 'server.ts', $1, 3, 'old')`,
      [sha('a')],
    );
    await f.db.query(
      `INSERT INTO connector_files (provider_slug, path, sha256, size, text) VALUES ('delta_ads', 'server.ts', $1, 3, 'new'), ('delta_ads', 'handlers/refund.ts', $2, 2, 'hi')`,
      [sha('b'), sha('c')],
    );
    await f.db.query(`UPDATE connector_providers SET status = 'changed', manifest_digest = $1 WHERE provider_slug = 'delta_ads'`, [sha('d')]);
    csrf = csrfFrom((await page('/connectors/beta_crm')).body);
  });
  afterAll(() => f?.close());

  describe('POST /api/connectors/{slug}/approve', () => {
    it('the page offers "Approve connector…" (the whole folder), not "Approve manifest"', async () => {
      const html = (await page('/connectors/beta_crm')).body;
      expect(html).toContain('Approve connector…');
      expect(html).not.toContain('Approve manifest');
      expect(html).not.toContain('/revoke-approval');
    });

    it('a JSON approve without confirm answers 400 confirmation_required naming firearm scopes, types, unapproved mappings and keys; nothing is written', async () => {
      const digest = await digestOf('beta_crm');
      for (const extra of [{}, { confirm: false }]) {
        const reply = await postJson('/api/connectors/beta_crm/approve', { digest, ...extra });
        expect(reply.status).toBe(400);
        const answer = body(reply);
        expect(answer).toMatchObject({ ok: false, code: 'confirmation_required' });
        const message = answer.message as string;
        expect(message).toContain('Approving records that you reviewed Beta CRM exactly as it is now');
        expect(message).toContain('Firearm scopes: refund_orders (firearm type REFUND_ISSUE (Issue refunds): Refund an order), delete_contacts (firearm type CODE_DELETE');
        expect(message).toContain('KPI mappings not approved yet: total_sales → gross_sales (Gross sales, aggregated by sum), order_count → orders');
        expect(message).toContain(`Keys it will load from the vault: ${BETA_KEY} (API key, required, not set)`);
        expect(message).toContain('"confirm": true');
      }
      expect(await provider('beta_crm')).toMatchObject({ status: 'draft', approved_digest: null });
      expect(await events('approve', 'beta_crm')).toEqual([]);
    });

    it('a form approve without confirm shows the confirmation page; Confirm approves and records who', async () => {
      const digest = await digestOf('beta_crm');
      const confirm = await postForm('/api/connectors/beta_crm/approve', { digest });
      expect(confirm.status).toBe(200);
      expect(confirm.headers['content-type']).toContain('text/html');
      expect(confirm.body).toContain('Approve Beta CRM?');
      expect(confirm.body).toMatch(/<h2[^>]*>Firearm scopes<\/h2>/);
      expect(confirm.body).toContain('<code class="ident">delete_contacts</code>');
      expect(confirm.body).toContain('firearm type CODE_DELETE (Delete data or code)');
      expect(confirm.body).toContain('Approving the connector does not approve these');
      expect(confirm.body).toContain(`<code class="ident">${BETA_KEY}</code>`);
      expect(confirm.body).toContain(`name="digest" value="${digest}"`);
      expect(confirm.body).toContain('name="confirm" value="yes"');
      expect(confirm.body).toMatch(/<a class="button" href="\/connectors\/beta_crm#status">Cancel<\/a>/);
      expect(confirm.body).not.toContain('Files changed since the last approval');
      expect((await provider('beta_crm')).status).toBe('draft');

      const done = await postForm('/api/connectors/beta_crm/approve', { digest, confirm: 'yes', csrf: csrfFrom(confirm.body) });
      expect([done.status, done.headers.location]).toEqual([303, '/connectors/beta_crm?approved=1#status']);
      expect(await provider('beta_crm')).toMatchObject({ status: 'approved', approved_digest: digest, approved_by: 'tester' });
      expect(await events('approve', 'beta_crm')).toEqual([{ actor: 'tester', details: { digest, from: 'draft' } }]);
      const shown = (await page('/connectors/beta_crm?approved=1')).body;
      expect(shown).toContain('Approved this connector: its manifest and every file of its folder');
      expect(shown).toContain('Revoke approval…');
      // Approved already at that digest: nothing to confirm, nothing written.
      const again = await postJson('/api/connectors/beta_crm/approve', { digest });
      expect([again.status, body(again)]).toEqual([200, { ok: true, status: 'approved', digest, already: true }]);
      expect(await events('approve', 'beta_crm')).toHaveLength(1);
    });

    it('for a changed connector the confirmation lists the files changed since the last approval', async () => {
      const confirm = await postForm('/api/connectors/delta_ads/approve', { digest: sha('d') });
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain('Files changed since the last approval');
      expect(confirm.body).toMatch(/<code class="ident">handlers\/refund\.ts<\/code><span>: added<\/span>/);
      expect(confirm.body).toMatch(/<code class="ident">server\.ts<\/code><span>: modified<\/span>/);
      expect(confirm.body).toMatch(/changed since seed approved digest [0-9a-f]{12}/);
      const json = await postJson('/api/connectors/delta_ads/approve', { digest: sha('d') });
      expect(body(json).message).toContain('Files changed since the last approval: handlers/refund.ts (added), server.ts (modified)');
    });

    it('a digest other than the current one is refused (409 conflict; the form goes back with the error), confirmed or not', async () => {
      for (const confirm of [false, true]) {
        const reply = await postJson('/api/connectors/delta_ads/approve', { digest: sha('e'), confirm });
        expect([reply.status, body(reply).code]).toEqual([409, 'conflict']);
      }
      const viaForm = await postForm('/api/connectors/delta_ads/approve', { digest: sha('e') });
      expect([viaForm.status, viaForm.headers.location]).toEqual([303, '/connectors/delta_ads?error=conflict#status']);
      expect((await provider('delta_ads')).status).toBe('changed');
      const bad = await postJson('/api/connectors/delta_ads/approve', { digest: 'nope', confirm: true });
      expect([bad.status, body(bad).code]).toEqual([400, 'invalid_body']);
      expect((await postJson('/api/connectors/no_such_thing/approve', { digest: sha('e'), confirm: true })).status).toBe(404);
    });
  });

  describe('POST /api/connectors/{slug}/revoke-approval', () => {
    let licenceId: number;
    beforeAll(async () => {
      const granted = await postJson('/api/licences', { provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', duration_minutes: 60, note: 'end of month', confirm: true });
      licenceId = body(granted).id as number;
    });

    it('a draft has no approval to revoke (409 connector_not_approved)', async () => {
      const reply = await postJson('/api/connectors/walk_shop/revoke-approval', { confirm: true });
      expect([reply.status, body(reply).code]).toEqual([409, 'connector_not_approved']);
      const viaForm = await postForm('/api/connectors/walk_shop/revoke-approval', {});
      expect(viaForm.headers.location).toBe('/connectors/walk_shop?error=connector_not_approved#status');
      expect((await page(viaForm.headers.location!)).body).toContain('It is not approved, so there is no approval to revoke.');
      expect((await postJson('/api/connectors/no_such_thing/revoke-approval', { confirm: true })).status).toBe(404);
    });

    it('asks to confirm, naming the licences it revokes; nothing is written before Confirm', async () => {
      const json = await postJson('/api/connectors/acme_shop/revoke-approval', {});
      expect([json.status, body(json).code]).toEqual([400, 'confirmation_required']);
      expect(body(json).message).toContain('Revoking sends Acme Shop back to draft');
      expect(body(json).message).toContain(`its 1 firearm licence is revoked for good`);
      expect(body(json).message).toContain(`Firearm licences revoked with it: #${licenceId} REFUND_ISSUE (every REFUND_ISSUE scope, granted by tester`);
      const confirm = await postForm('/api/connectors/acme_shop/revoke-approval', {});
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain('Revoke the approval of Acme Shop?');
      expect(confirm.body).toContain(`#${licenceId} REFUND_ISSUE`);
      expect(confirm.body).toContain('approving the connector again does not bring it back');
      expect(confirm.body).toContain('>Revoke approval</button>');
      expect((await provider('acme_shop')).status).toBe('approved');
      expect(await events('approval_revoked', 'acme_shop')).toEqual([]);
    });

    it('Confirm sends it back to draft, revokes its licences (they stop applying) and records approval_revoked with who', async () => {
      const digest = await digestOf('acme_shop');
      const done = await postForm('/api/connectors/acme_shop/revoke-approval', { confirm: 'yes' });
      expect([done.status, done.headers.location]).toEqual([303, '/connectors/acme_shop?approval_revoked=1#status']);
      expect(await provider('acme_shop')).toMatchObject({ status: 'draft', approved_digest: null, approved_by: null });
      expect(await events('approval_revoked', 'acme_shop')).toEqual([
        { actor: 'tester', details: { digest, approved_by: 'seed', from: 'approved', to: 'draft', licences_revoked: [licenceId], one_shots_expired: 0 } },
      ]);
      expect((await f.db.query(`SELECT revoked_by FROM firearm_licences WHERE id = $1`, [licenceId])).rows[0].revoked_by).toBe('tester');
      const call = await checkAndConsume(f.db, {
        providerSlug: 'acme_shop',
        tool: 'refund_orders',
        scope: 'refund_orders',
        firearmType: 'REFUND_ISSUE',
        argumentsSha256: sha('f'),
      });
      expect(call).toMatchObject({ allowed: false, reason: 'connector_not_approved' });
      const shown = (await page('/connectors/acme_shop?approval_revoked=1')).body;
      expect(shown).toContain('Approval revoked: the connector is a draft again');
      expect(shown).toMatch(/Approval revoked[\s\S]*by tester/);
      expect(shown).toContain('Approve connector…');
      expect((await page('/licences')).body).not.toContain(`data-licence="${licenceId}"`);
    });

    it('a confirmed JSON revoke of a changed connector answers {ok, status: draft, licences_revoked}', async () => {
      const reply = await postJson('/api/connectors/delta_ads/revoke-approval', { confirm: true });
      expect([reply.status, body(reply)]).toEqual([200, { ok: true, status: 'draft', licences_revoked: [], one_shots_expired: 0 }]);
      expect((await provider('delta_ads')).status).toBe('draft');
    });
  });

  describe('approve all KPI mappings (POST /api/connectors/{slug}/kpis/approve with all)', () => {
    it('is offered on an approved connector with unapproved mappings, and approves every one, recording each', async () => {
      const html = (await page('/connectors/kappa_shop')).body;
      expect(html).toContain('Approve all 3 mappings');
      expect((await page('/connectors/walk_shop')).body).not.toContain('Approve all');
      const digest = await digestOf('kappa_shop');
      const done = await postForm('/api/connectors/kappa_shop/kpis/approve', { all: 'yes', digest });
      expect([done.status, done.headers.location]).toEqual([303, '/connectors/kappa_shop?kpis_approved=3#kpis']);
      const { rows } = await f.db.query(`SELECT raw_metric, approved_by FROM kpi_mappings WHERE provider_slug = 'kappa_shop' ORDER BY position`);
      expect(rows).toEqual([
        { raw_metric: 'total_sales', approved_by: 'tester' },
        { raw_metric: 'order_count', approved_by: 'tester' },
        { raw_metric: 'spend', approved_by: 'tester' },
      ]);
      expect((await events('approve_kpi', 'kappa_shop')).map((e) => [e.actor, e.details.core_kpi, e.details.all])).toEqual([
        ['tester', 'gross_sales', true],
        ['tester', 'orders', true],
        ['tester', 'ad_spend', true],
      ]);
      const shown = (await page('/connectors/kappa_shop?kpis_approved=3')).body;
      expect(shown).toContain('Approved 3 KPI mappings.');
      expect(shown).not.toContain('Approve all');
      const again = await postJson('/api/connectors/kappa_shop/kpis/approve', { all: true, digest });
      expect([again.status, body(again)]).toEqual([200, { ok: true, approved: [] }]);
    });

    it('refuses a connector that is not approved (409), another digest (409 conflict) and a body mixing both forms (400)', async () => {
      const draft = await postJson('/api/connectors/walk_shop/kpis/approve', { all: true, digest: await digestOf('walk_shop') });
      expect([draft.status, body(draft).code]).toEqual([409, 'connector_not_approved']);
      const stale = await postForm('/api/connectors/beta_crm/kpis/approve', { all: 'yes', digest: sha('e') });
      expect(stale.headers.location).toBe('/connectors/beta_crm?error=stale_digest&on=kpis#kpis');
      expect((await page(stale.headers.location!)).body).toContain('The connector changed after this page was loaded, so no mapping was approved.');
      const staleJson = await postJson('/api/connectors/beta_crm/kpis/approve', { all: true, digest: sha('e') });
      expect([staleJson.status, body(staleJson).code]).toEqual([409, 'conflict']);
      for (const bad of [{ all: true }, { all: true, digest: sha('e'), raw_metric: 'x', core_kpi: 'orders' }, { raw_metric: 'x' }, { all: false, digest: sha('e') }]) {
        const reply = await postJson('/api/connectors/beta_crm/kpis/approve', bad);
        expect([reply.status, body(reply).code], JSON.stringify(bad)).toEqual([400, 'invalid_body']);
      }
      expect((await f.db.query(`SELECT count(*)::int AS n FROM kpi_mappings WHERE provider_slug IN ('walk_shop', 'beta_crm') AND approved_at IS NOT NULL`)).rows[0].n).toBe(0);
    });

    it('one mapping is still approved by itself', async () => {
      const reply = await postJson('/api/connectors/beta_crm/kpis/approve', { raw_metric: 'total_sales', core_kpi: 'gross_sales', aggregation: 'sum' });
      expect([reply.status, body(reply)]).toEqual([200, { ok: true }]);
    });
  });

  describe('replacing a key that is set (POST /api/connectors/{slug}/secrets/{NAME})', () => {
    it('a key that is not set is set at once; once set, the card offers Replace… with no value field', async () => {
      const first = await postForm(`/api/connectors/beta_crm/secrets/${BETA_KEY}`, { value: `first-${CANARY}` });
      expect([first.status, first.headers.location]).toEqual([303, `/connectors/beta_crm?set=${BETA_KEY}#auth`]);
      const html = (await page('/connectors/beta_crm')).body;
      const card = html.slice(html.indexOf(`data-key="${BETA_KEY}"`), html.indexOf('</li>', html.indexOf(`data-key="${BETA_KEY}"`)));
      expect(card).toContain('Replace…');
      expect(card).not.toContain('type="password"');
    });

    it('a form post with a value but without confirm writes nothing and asks for the value again on the confirmation page, never echoing it', async () => {
      const reply = await postForm(`/api/connectors/beta_crm/secrets/${BETA_KEY}`, { value: `second-${CANARY}` });
      expect(reply.status).toBe(200);
      expect(reply.body).toContain(`Replace the key ${BETA_KEY}?`);
      expect(reply.body).toContain('the old value cannot be recovered');
      expect(reply.body).toContain('The value you sent was not used and is not kept: type it again here.');
      expect(reply.body).toMatch(/<input id="confirm-value" name="value" type="password" autocomplete="off"[^>]*required/);
      expect(reply.body).not.toContain(CANARY);
      expect(reply.body).toMatch(/href="\/connectors\/beta_crm#auth">Cancel/);
      expect(await keyFile(BETA_KEY)).toBe(`first-${CANARY}`);
    });

    it('Replace… (no value) shows the same step; confirm=yes with the typed value replaces it', async () => {
      const step = await postForm(`/api/connectors/beta_crm/secrets/${BETA_KEY}`, {});
      expect(step.status).toBe(200);
      expect(step.body).toContain(`Replace the key ${BETA_KEY}?`);
      expect(step.body).not.toContain('The value you sent was not used');
      const done = await postForm(`/api/connectors/beta_crm/secrets/${BETA_KEY}`, { confirm: 'yes', value: `third-${CANARY}`, csrf: csrfFrom(step.body) });
      expect([done.status, done.headers.location]).toEqual([303, `/connectors/beta_crm?set=${BETA_KEY}#auth`]);
      expect(await keyFile(BETA_KEY)).toBe(`third-${CANARY}`);
      // Confirmed but without a value: nothing to write.
      const empty = await postForm(`/api/connectors/beta_crm/secrets/${BETA_KEY}`, { confirm: 'yes' });
      expect(empty.headers.location).toBe(`/connectors/beta_crm?key=${BETA_KEY}&error=invalid_body#auth`);
    });

    it('JSON without confirm answers 400 confirmation_required (the value nowhere in it); with "confirm": true it replaces', async () => {
      const reply = await postJson(`/api/connectors/beta_crm/secrets/${BETA_KEY}`, { value: `json-${CANARY}` });
      expect([reply.status, body(reply).code]).toEqual([400, 'confirmation_required']);
      expect(body(reply).message).toContain(`${BETA_KEY} (API key) of Beta CRM is set`);
      expect(body(reply).message).toContain('"confirm": true to replace it (nothing was stored)');
      expect(reply.body).not.toContain(CANARY);
      expect(await keyFile(BETA_KEY)).toBe(`third-${CANARY}`);
      const done = await postJson(`/api/connectors/beta_crm/secrets/${BETA_KEY}`, { value: `json-${CANARY}`, confirm: true });
      expect([done.status, body(done)]).toEqual([200, { ok: true }]);
      expect(await keyFile(BETA_KEY)).toBe(`json-${CANARY}`);
      const sets = await events('key_set', 'beta_crm');
      expect(sets).toHaveLength(3);
      expect(sets.every((e) => e.actor === 'tester')).toBe(true);
    });
  });

  describe('CSRF', () => {
    it('every one of these routes refuses a post without the token (403) and writes nothing', async () => {
      const digest = await digestOf('walk_shop');
      const routes: [string, Record<string, string>][] = [
        ['/api/connectors/walk_shop/approve', { digest, confirm: 'yes' }],
        ['/api/connectors/kappa_shop/revoke-approval', { confirm: 'yes' }],
        ['/api/connectors/kappa_shop/kpis/approve', { all: 'yes', digest: await digestOf('kappa_shop') }],
        [`/api/connectors/walk_shop/secrets/${WALK_KEY}`, { value: `csrf-${CANARY}`, confirm: 'yes' }],
      ];
      for (const [route, fields] of routes) {
        const viaForm = await request(`${f.url}${route}`, { method: 'POST', ...form(fields) });
        expect(viaForm.status, route).toBe(403);
        const viaJson = await postJson(route, { ...fields, confirm: true }, 'not-the-token');
        expect(viaJson.status, route).toBe(403);
      }
      expect((await provider('walk_shop')).status).toBe('draft');
      expect((await provider('kappa_shop')).status).toBe('approved');
      await expect(keyFile(WALK_KEY)).rejects.toThrow();
    });
  });

  describe.runIf(backend === testBackends()[0])('in Chromium', () => {
    let browser: Browser;
    let tab: Page;
    const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/site');
    beforeAll(async () => {
      await mkdir(ARTIFACTS, { recursive: true });
      browser = await launchChromium();
      tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    });
    afterAll(() => browser?.close());

    it('approve → confirm: the step lists what the approval allows, Cancel changes nothing, Confirm approves', async () => {
      await tab.goto(`${f.url}/connectors/walk_shop`);
      await tab.getByRole('button', { name: /Approve connector…/ }).click();
      await tab.waitForURL(/\/api\/connectors\/walk_shop\/approve$/);
      await expect(tab.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Approve Walk Shop?');
      const step = tab.getByTestId('confirm');
      await expect(step.innerText()).resolves.toMatch(/Firearm scopes[\s\S]*refund_orders: firearm type REFUND_ISSUE \(Issue refunds\)/);
      await expect(step.innerText()).resolves.toMatch(/Keys it will load from the vault[\s\S]*PROVIDER_WALK_SHOP_API_KEY: API key, required, not set/);
      await tab.screenshot({ path: path.join(ARTIFACTS, 'approve-confirm.png'), fullPage: true });
      expect(await axeViolations(tab)).toEqual([]);
      await tab.getByRole('link', { name: 'Cancel' }).click();
      await tab.waitForURL(/\/connectors\/walk_shop#status$/);
      expect((await provider('walk_shop')).status).toBe('draft');

      await tab.getByRole('button', { name: /Approve connector…/ }).click();
      await tab.getByRole('button', { name: 'Approve connector', exact: true }).click();
      await tab.waitForURL(/\/connectors\/walk_shop\?approved=1#status$/);
      await expect(tab.locator('#status [data-status]').first().getAttribute('data-status')).resolves.toBe('approved');
      await expect(tab.getByTestId('flash-status').innerText()).resolves.toContain('Approved this connector');
      expect(await axeViolations(tab)).toEqual([]);
    });

    it('sets a key, then replaces it: Replace… confirms first and only then asks for the value', async () => {
      await tab.getByLabel('Value for API key').fill(`walk-${CANARY}`);
      await tab.locator(`li[data-key="${WALK_KEY}"]`).getByRole('button', { name: 'Set key' }).click();
      await tab.waitForURL(new RegExp(`\\?set=${WALK_KEY}#auth$`));
      await tab.locator(`li[data-key="${WALK_KEY}"]`).getByRole('button', { name: /Replace…/ }).click();
      await expect(tab.getByRole('heading', { level: 1 }).innerText()).resolves.toBe(`Replace the key ${WALK_KEY}?`);
      await tab.screenshot({ path: path.join(ARTIFACTS, 'replace-key-confirm.png'), fullPage: true });
      expect(await axeViolations(tab)).toEqual([]);
      await tab.getByLabel('New value for API key').fill(`walk-new-${CANARY}`);
      await tab.getByRole('button', { name: 'Replace key' }).click();
      await tab.waitForURL(new RegExp(`\\?set=${WALK_KEY}#auth$`));
      expect(tab.url()).not.toContain(CANARY);
      await expect(tab.content()).resolves.not.toContain(CANARY);
      expect(await keyFile(WALK_KEY)).toBe(`walk-new-${CANARY}`);
    });

    it('revoke → confirm: back to draft, the activity names who', async () => {
      await tab.getByRole('button', { name: 'Revoke approval…' }).click();
      await expect(tab.getByRole('heading', { level: 1 }).innerText()).resolves.toBe('Revoke the approval of Walk Shop?');
      await tab.screenshot({ path: path.join(ARTIFACTS, 'revoke-confirm.png'), fullPage: true });
      expect(await axeViolations(tab)).toEqual([]);
      await tab.getByRole('button', { name: 'Revoke approval', exact: true }).click();
      await tab.waitForURL(/\/connectors\/walk_shop\?approval_revoked=1#status$/);
      await expect(tab.locator('#status [data-status]').first().getAttribute('data-status')).resolves.toBe('draft');
      await expect(tab.locator('#activity').innerText()).resolves.toMatch(/Approval revoked[\s\S]*by tester[\s\S]*Approved[\s\S]*by tester/);
      await expect(tab.getByRole('button', { name: /Approve connector…/ }).count()).resolves.toBe(1);
    });
  });

  it('never shows, logs or stores a key value (every response, the page cache, the logs, every table)', async () => {
    expect(everythingSeen()).not.toContain(CANARY);
    expect(f.logs.join('\n')).not.toContain(CANARY);
    expect(await dumpAllTables(f.db)).not.toContain(CANARY);
    expect((f.pageCache?.bodies() ?? []).join('\n')).not.toContain(CANARY);
  });
});
