/**
 * The licence routes over HTTP against a real site, vault-agent and registry, on every backend:
 * grant, revoke, approve a request once and deny it; the confirmation step (a page for forms, 400
 * confirmation_required for JSON) before anything is written; refusals with their codes; the
 * operator's name on every event; login and CSRF in front of all of it; and argument values shown
 * only on the pending request they belong to.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { recordRequest, recordUse, type FirearmCall } from '../../pipeline/registry/licences.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { csrfFrom, dumpAllTables, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { everythingSeen, form, request, type Reply } from './helpers/http.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const ARG_CANARY = `arg-canary-${Math.random().toString(36).slice(2)}`;

const acme = testManifest('acme_shop', {
  display_name: 'Acme Shop',
  scopes: [
    { name: 'read_orders', description: 'Read orders', requires_firearm: false },
    { name: 'refund_orders', description: 'Refund an order', requires_firearm: true, firearm_type: 'REFUND_ISSUE' },
    { name: 'refund_all', description: 'Refund every order', requires_firearm: true, firearm_type: 'REFUND_ISSUE' },
    { name: 'delete_data', description: 'Delete data', requires_firearm: true, firearm_type: 'CODE_DELETE' },
  ],
});
const beta = testManifest('beta_crm', { display_name: 'Beta CRM' });

/** A firearm call as the connector runtime records it, through the registry module on its own connection. */
function call(slug: string, tool: string, scope: string, firearmType: string, args: unknown): FirearmCall & { arguments: unknown } {
  return {
    providerSlug: slug,
    tool,
    scope,
    firearmType,
    arguments: args,
    argumentsSha256: createHash('sha256').update(JSON.stringify(args)).digest('hex'),
    client: { name: 'test-agent', version: '0.9.1' },
  };
}

describe.each(testBackends())('licence routes (%s)', (backend) => {
  let f: SiteFixture;
  let csrf: string;
  /** A separate connection, as the connector runtime (another process) would have. */
  let runtime: pg.Pool;

  const page = (p: string) => request(`${f.url}${p}`);
  const postForm = (p: string, fields: Record<string, string>) => request(`${f.url}${p}`, { method: 'POST', ...form({ csrf, ...fields }) });
  const postJson = (p: string, body: unknown) =>
    request(`${f.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body) });
  const body = (r: Reply) => JSON.parse(r.body) as Record<string, unknown>;
  const licenceCount = async () => (await f.db.query<{ n: number }>('SELECT count(*)::int AS n FROM firearm_licences')).rows[0]!.n;
  const events = async (kind: string) =>
    (await f.db.query<{ actor: string; details: Record<string, unknown> }>('SELECT actor, details FROM registry_events WHERE kind = $1 ORDER BY id', [kind])).rows;
  const ask = async (args: unknown, slug = 'acme_shop', scope = 'refund_orders', type = 'REFUND_ISSUE') => {
    const r = await recordRequest(runtime, call(slug, scope, scope, type, args));
    if (!r.ok) throw new Error(r.message);
    return r.requestId;
  };

  beforeAll(async () => {
    f = await startFixture(backend);
    await seedCatalog(f.db);
    await seedConnectors(f.db, [acme], 'approved');
    await seedConnectors(f.db, [beta], 'draft');
    runtime = new pg.Pool({ connectionString: f.databaseUrl, max: 1 });
    csrf = csrfFrom((await page('/licences')).body);
  });
  afterAll(async () => {
    await runtime?.end();
    await f?.close();
  });

  describe('POST /api/licences', () => {
    const grant = { provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', duration_minutes: 480, max_uses: 3 };

    it('a JSON grant without confirm answers 400 confirmation_required saying what it allows, and grants nothing', async () => {
      const reply = await postJson('/api/licences', grant);
      expect(reply.status).toBe(400);
      const answer = body(reply);
      expect(answer).toMatchObject({ ok: false, code: 'confirmation_required' });
      expect(answer.message).toContain('Acme Shop');
      expect(answer.message).toContain('every REFUND_ISSUE scope of this connector: refund_orders, refund_all');
      expect(answer.message).toContain('8 hours');
      expect(answer.message).toContain('at most 3 calls');
      expect(answer.message).toContain('"confirm": true');
      expect(await postJson('/api/licences', { ...grant, confirm: false })).toMatchObject({ status: 400 });
      expect(await licenceCount()).toBe(0);
    });

    it('a confirmed JSON grant answers {ok, id} and records licence_grant under the operator’s name', async () => {
      const reply = await postJson('/api/licences', { ...grant, scope: 'refund_orders', note: 'month-end refunds', confirm: true });
      expect(reply.status).toBe(200);
      const answer = body(reply);
      expect(answer).toMatchObject({ ok: true, provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', scope: 'refund_orders', max_uses: 3 });
      expect(typeof answer.id).toBe('number');
      const expires = new Date(answer.expires_at as string).getTime();
      expect(expires - Date.now()).toBeGreaterThan(7 * 3600_000);
      expect(expires - Date.now()).toBeLessThanOrEqual(8 * 3600_000);
      const [event] = await events('licence_grant');
      expect(event).toMatchObject({ actor: 'tester', details: { licence_id: answer.id, firearm_type: 'REFUND_ISSUE', scope: 'refund_orders', note: 'month-end refunds' } });
      const listed = await page('/licences');
      expect(listed.body).toContain(`data-licence="${answer.id}"`);
      expect(listed.body).toContain('month-end refunds');
    });

    it('a form grant without confirm shows the confirmation page in plain words; Confirm grants and redirects to /licences', async () => {
      const fields = { provider_slug: 'acme_shop', firearm_type: 'CODE_DELETE', scope: '', duration_minutes: '60', max_uses: '', note: '' };
      const before = await licenceCount();
      const confirm = await postForm('/api/licences', fields);
      expect(confirm.status).toBe(200);
      expect(confirm.headers['content-type']).toContain('text/html');
      expect(confirm.body).toContain('Grant a firearm licence?');
      expect(confirm.body).toContain('Acme Shop (acme_shop)');
      expect(confirm.body).toContain('every CODE_DELETE scope of this connector: delete_data');
      expect(confirm.body).toMatch(/1 hour from when you confirm, until about \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
      expect(confirm.body).toContain('any number of calls until it expires or is revoked');
      expect(confirm.body).toContain('name="confirm" value="yes"');
      expect(confirm.body).toMatch(/<a class="button" href="\/connectors\/acme_shop#firearms">Cancel<\/a>/);
      expect(await licenceCount()).toBe(before);

      const done = await postForm('/api/licences', { ...fields, confirm: 'yes', csrf: csrfFrom(confirm.body) });
      expect(done.status).toBe(303);
      const location = done.headers.location!;
      expect(location).toMatch(/^\/licences\?granted=\d+#licence-\d+$/);
      expect(await licenceCount()).toBe(before + 1);
      const shown = await page(location.replace(/#.*/, ''));
      expect(shown.body).toMatch(/Granted licence #\d+/);
    });

    it('refuses a connector that is not approved with 409 and a message, confirmed or not', async () => {
      const draft = { provider_slug: 'beta_crm', firearm_type: 'REFUND_ISSUE', duration_minutes: 15 };
      for (const confirm of [false, true]) {
        const reply = await postJson('/api/licences', { ...draft, confirm });
        expect(reply.status).toBe(409);
        expect(body(reply)).toMatchObject({ ok: false, code: 'connector_not_approved' });
        expect(body(reply).message).toMatch(/"beta_crm" is draft, not approved: a licence can be granted only for an approved connector/);
      }
      const viaForm = await postForm('/api/licences', { ...draft, duration_minutes: '15', confirm: 'yes' });
      expect(viaForm.status).toBe(303);
      expect(viaForm.headers.location).toBe('/licences?error=connector_not_approved&connector=beta_crm');
      const shown = await page(viaForm.headers.location!);
      expect(shown.body).toContain('Nothing was granted: that connector is not approved');
      expect(shown.body).toContain('href="/connectors/beta_crm"');
      expect((await f.db.query(`SELECT 1 FROM firearm_licences WHERE provider_slug = 'beta_crm'`)).rows).toEqual([]);
    });

    it('refuses another firearm type or scope (409), bad input (400) and an unknown connector (404)', async () => {
      const other = await postJson('/api/licences', { ...grant, firearm_type: 'PROD_DEPLOY', confirm: true });
      expect([other.status, body(other).code]).toEqual([409, 'firearm_type_mismatch']);
      const scope = await postJson('/api/licences', { ...grant, scope: 'delete_data', confirm: true });
      expect([scope.status, body(scope).code]).toEqual([409, 'firearm_type_mismatch']);
      for (const bad of [{ duration_minutes: 0 }, { duration_minutes: 10_081 }, { duration_minutes: 1.5 }, { max_uses: 0 }, { note: 'x'.repeat(501) }, { extra: 1 }]) {
        const reply = await postJson('/api/licences', { ...grant, ...bad, confirm: true });
        expect([reply.status, body(reply).code], JSON.stringify(bad)).toEqual([400, 'invalid_input']);
      }
      const missing = await postJson('/api/licences', { ...grant, provider_slug: 'no_such_thing', confirm: true });
      expect([missing.status, body(missing).code]).toEqual([404, 'not_found']);
      const viaForm = await postForm('/api/licences', { provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', duration_minutes: '0' });
      expect(viaForm.headers.location).toBe('/licences?error=invalid_input');
    });
  });

  describe('POST /api/licences/{id}/revoke', () => {
    let id: number;
    beforeAll(async () => {
      id = body(await postJson('/api/licences', { provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', duration_minutes: 30, note: 'to revoke', confirm: true })).id as number;
    });

    it('asks to confirm (JSON 400, form page naming what ends), then revokes once; a second revoke is a 409', async () => {
      const json = await postJson(`/api/licences/${id}/revoke`, {});
      expect([json.status, body(json).code]).toEqual([400, 'confirmation_required']);
      const confirm = await postForm(`/api/licences/${id}/revoke`, {});
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain(`Revoke licence #${id}?`);
      expect(confirm.body).toContain('every REFUND_ISSUE scope of this connector');
      expect(confirm.body).toContain('to revoke');
      expect(confirm.body).toMatch(/0 calls \(no limit\)/);
      expect((await f.db.query('SELECT revoked_at FROM firearm_licences WHERE id = $1', [id])).rows[0].revoked_at).toBeNull();

      const done = await postJson(`/api/licences/${id}/revoke`, { confirm: true });
      expect(done.status).toBe(200);
      expect(body(done)).toMatchObject({ ok: true, id });
      expect((await events('licence_revoke')).at(-1)).toMatchObject({ actor: 'tester', details: { licence_id: id } });
      const again = await postJson(`/api/licences/${id}/revoke`, { confirm: true });
      expect([again.status, body(again).code]).toEqual([409, 'conflict']);
      expect((await page('/licences')).body).not.toContain(`data-licence="${id}"`);
    });

    it('a form revoke with confirm=yes redirects to /licences with a flash', async () => {
      const other = body(await postJson('/api/licences', { provider_slug: 'acme_shop', firearm_type: 'CODE_DELETE', duration_minutes: 30, confirm: true })).id;
      const done = await postForm(`/api/licences/${other}/revoke`, { confirm: 'yes' });
      expect([done.status, done.headers.location]).toEqual([303, `/licences?revoked=${other}#active`]);
      expect((await page(`/licences?revoked=${other}`)).body).toContain(`Revoked licence #${other}.`);
    });

    it('answers 404 for a licence that does not exist or an id that is not one', async () => {
      for (const bad of ['999999', 'abc', '0', '-1', '1e3']) {
        expect((await postJson(`/api/licences/${bad}/revoke`, { confirm: true })).status, bad).toBe(404);
      }
    });
  });

  describe('POST /api/licence-requests/{id}/approve and /deny', () => {
    it('approve asks to confirm with the exact arguments (escaped), then approves exactly that request once', async () => {
      const args = { order_id: 'ord_42', reason: `<script>alert(1)</script> ${ARG_CANARY}`, sneaky: 'abc\u202Edef' };
      const id = await ask(args);
      const listed = await page('/licences');
      expect(listed.body).toContain(`id="request-${id}"`);
      expect(listed.body).toContain(ARG_CANARY);
      expect(listed.body).toContain('test-agent 0.9.1');
      expect(listed.body).not.toContain('<script>alert(1)</script>');
      expect(listed.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect(listed.body).toContain('abc\\u{202e}def');
      expect(listed.body).not.toContain('\u202E');

      const json = await postJson(`/api/licence-requests/${id}/approve`, {});
      expect([json.status, body(json).code]).toEqual([400, 'confirmation_required']);
      const confirm = await postForm(`/api/licence-requests/${id}/approve`, {});
      expect(confirm.status).toBe(200);
      expect(confirm.body).toContain(`Approve request #${id} once?`);
      expect(confirm.body).toContain('&quot;order_id&quot;: &quot;ord_42&quot;');
      expect(confirm.body).toContain('within 15 minutes');
      expect(confirm.body).toMatch(/href="\/licences#request-\d+">Cancel/);
      expect((await f.db.query('SELECT status FROM licence_requests WHERE id = $1', [id])).rows[0].status).toBe('pending');

      const done = await postForm(`/api/licence-requests/${id}/approve`, { confirm: 'yes' });
      expect([done.status, done.headers.location]).toEqual([303, `/licences?approved=${id}#requests`]);
      const row = (await f.db.query('SELECT status, decided_by, approval_expires_at FROM licence_requests WHERE id = $1', [id])).rows[0];
      expect(row).toMatchObject({ status: 'approved', decided_by: 'tester' });
      expect((await events('licence_request_approve')).at(-1)).toMatchObject({ actor: 'tester', details: { request_id: id, scope: 'refund_orders' } });
      const again = await postJson(`/api/licence-requests/${id}/approve`, { confirm: true });
      expect([again.status, body(again).code]).toEqual([409, 'conflict']);
      expect(body(again).message).toContain('already approved (by tester)');
    });

    it('a confirmed JSON approve answers {ok, id, status, approval_expires_at}', async () => {
      const id = await ask({ order_id: 'ord_43' });
      const reply = await postJson(`/api/licence-requests/${id}/approve`, { confirm: true });
      expect(reply.status).toBe(200);
      expect(body(reply)).toMatchObject({ ok: true, id, status: 'approved' });
      expect(new Date(body(reply).approval_expires_at as string).getTime()).toBeGreaterThan(Date.now());
    });

    it('deny needs no confirmation, drops the arguments and records licence_request_deny', async () => {
      const id = await ask({ order_id: 'ord_44', note: `deny-${ARG_CANARY}` });
      expect((await page('/licences')).body).toContain(`deny-${ARG_CANARY}`);
      const reply = await postJson(`/api/licence-requests/${id}/deny`, {});
      expect(reply.status).toBe(200);
      expect(body(reply)).toEqual({ ok: true, id, status: 'denied' });
      expect((await f.db.query('SELECT arguments FROM licence_requests WHERE id = $1', [id])).rows[0].arguments).toBeNull();
      expect((await events('licence_request_deny')).at(-1)).toMatchObject({ actor: 'tester', details: { request_id: id } });
      expect((await page('/licences')).body).not.toContain(`deny-${ARG_CANARY}`);
      const viaForm = await postForm(`/api/licence-requests/${await ask({ order_id: 'ord_45' })}/deny`, {});
      expect(viaForm.status).toBe(303);
      expect(viaForm.headers.location).toMatch(/^\/licences\?denied=\d+#requests$/);
      const again = await postJson(`/api/licence-requests/${id}/deny`, {});
      expect([again.status, body(again).code]).toEqual([409, 'conflict']);
    });

    it('a grant answering a request (request_id) takes it off the pending list', async () => {
      const id = await ask({ order_id: 'ord_46' });
      const confirm = await postForm('/api/licences', { provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', scope: 'refund_orders', duration_minutes: '15', request_id: String(id) });
      expect(confirm.body).toContain(`request #${id}`);
      expect(confirm.body).toContain(`name="request_id" value="${id}"`);
      const reply = await postJson('/api/licences', { provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', duration_minutes: 15, request_id: id, confirm: true });
      expect(body(reply)).toMatchObject({ ok: true, request_id: id });
      expect((await f.db.query('SELECT status FROM licence_requests WHERE id = $1', [id])).rows[0].status).toBe('approved');
      expect((await page('/licences')).body).not.toContain(`id="request-${id}"`);
    });

    it('a request of a connector that is not approved cannot be approved (409), and its buttons say why', async () => {
      const id = await ask({ id: 'x' }, 'beta_crm', 'refund_orders', 'REFUND_ISSUE');
      const listed = await page('/licences');
      expect(listed.body).toContain('Beta CRM is draft, not approved');
      const reply = await postJson(`/api/licence-requests/${id}/approve`, { confirm: true });
      expect([reply.status, body(reply).code]).toEqual([409, 'connector_not_approved']);
      expect((await postJson(`/api/licence-requests/${id}/deny`, {})).status).toBe(200);
    });

    it('answers 404 for a request that does not exist', async () => {
      for (const route of ['approve', 'deny']) {
        expect((await postJson(`/api/licence-requests/424242/${route}`, { confirm: true })).status).toBe(404);
        expect((await postJson(`/api/licence-requests/nope/${route}`, {})).status).toBe(404);
      }
    });
  });

  describe('the connector page', () => {
    it('shows each firearm scope with the licences covering it and a Grant form with the five presets', async () => {
      const scoped = body(await postJson('/api/licences', { provider_slug: 'acme_shop', firearm_type: 'REFUND_ISSUE', scope: 'refund_all', duration_minutes: 60, confirm: true })).id;
      const html = (await page('/connectors/acme_shop')).body;
      const section = (scope: string) => {
        const start = html.indexOf(`data-firearm-scope="${scope}"`);
        expect(start, scope).toBeGreaterThan(-1);
        return html.slice(start, html.indexOf('</article>', start));
      };
      expect(section('refund_all')).toContain(`data-licence="${scoped}"`);
      expect(section('refund_orders')).not.toContain(`data-licence="${scoped}"`);
      for (const scope of ['refund_orders', 'refund_all', 'delete_data']) {
        const form = section(scope);
        expect(form).toContain('action="/api/licences"');
        expect(form).toContain(`<option value="${scope}" selected>Scope ${scope} only</option>`);
        expect([...form.matchAll(/<option value="(\d+)"/g)].map((m) => m[1])).toEqual(['15', '60', '480', '1440', '10080']);
        expect(form).toMatch(/<label for="[^"]+-max">Max uses/);
        expect(form).toMatch(/<label for="[^"]+-note">Note/);
        expect(form).not.toMatch(/<fieldset disabled/);
      }
      expect(html).not.toContain('data-firearm-scope="read_orders"');
    });

    it('a connector that is not approved shows its Grant form disabled, with the reason', async () => {
      const html = (await page('/connectors/beta_crm')).body;
      expect(html).toContain('Licences can be granted only for an approved connector, and this one is a draft');
      expect(html).toMatch(/<fieldset disabled/);
    });
  });

  describe('who may call them', () => {
    it('without the operator’s session every route answers 401; without a valid CSRF token 403; GET is not an action', async () => {
      const id = await ask({ order_id: 'ord_50' });
      const routes = ['/api/licences', '/api/licences/1/revoke', `/api/licence-requests/${id}/approve`, `/api/licence-requests/${id}/deny`];
      for (const route of routes) {
        const stranger = await request(`${f.url}${route}`, {
          method: 'POST',
          session: false,
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ confirm: true }),
        });
        expect(stranger.status, route).toBe(401);
        const forged = await request(`${f.url}${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': 'forged' },
          body: JSON.stringify({ confirm: true }),
        });
        expect(forged.status, route).toBe(403);
        const noToken = await request(`${f.url}${route}`, { method: 'POST', ...form({ confirm: 'yes' }) });
        expect(noToken.status, route).toBe(403);
      }
      expect((await page('/api/licences')).status).toBe(405);
      expect((await f.db.query('SELECT status FROM licence_requests WHERE id = $1', [id])).rows[0].status).toBe('pending');
      expect(await page('/licences').then((r) => r.status)).toBe(200);
      expect((await request(`${f.url}/licences`, { session: false })).status).toBe(401);
    });
  });

  describe('/licences', () => {
    it('the header counts pending requests, and uses show outcomes, never argument values', async () => {
      const { rows } = await f.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM licence_requests WHERE status = 'pending'`);
      const listed = await page('/');
      expect(listed.body).toMatch(new RegExp(`Licences<span class="nav-count"[^>]*>${rows[0]!.n}<`));
      const id = await ask({ order_id: 'ord_60', secretish: `use-${ARG_CANARY}` });
      const c = call('acme_shop', 'refund_orders', 'refund_orders', 'REFUND_ISSUE', { order_id: 'ord_60', secretish: `use-${ARG_CANARY}` });
      await recordUse(runtime, c, { outcome: 'refused', reason: 'no_licence', requestId: id, durationMs: 1 });
      const shown = await page('/licences');
      expect(shown.body).toMatch(/data-outcome="refused"[\s\S]*?no licence[\s\S]*?request #\d+/);
      // The value is on the pending request and nowhere else on the page.
      expect(shown.body.split(`use-${ARG_CANARY}`).length - 1).toBe(1);
      await postJson(`/api/licence-requests/${id}/deny`, {});
      expect((await page('/licences')).body).not.toContain(`use-${ARG_CANARY}`);
    });

    it('sees a request recorded by another process at once (the page cache follows the registry generation)', async () => {
      await page('/licences');
      const cached = await page('/licences');
      expect(cached.headers['x-page-cache']).toBe('hit');
      const client = new pg.Client({ connectionString: f.databaseUrl });
      await client.connect();
      let id: number;
      try {
        const r = await recordRequest(client, call('acme_shop', 'delete_data', 'delete_data', 'CODE_DELETE', { table: 'fresh_one' }));
        if (!r.ok) throw new Error(r.message);
        id = r.requestId;
      } finally {
        await client.end();
      }
      const after = await page('/licences');
      expect(after.headers['x-page-cache']).toBe('miss');
      expect(after.body).toContain(`id="request-${id}"`);
      expect(after.body).toContain('fresh_one');
      // ...and a use recorded by another process too.
      await page('/licences');
      expect((await page('/licences')).headers['x-page-cache']).toBe('hit');
      await recordUse(runtime, call('acme_shop', 'delete_data', 'delete_data', 'CODE_DELETE', { table: 'x' }), { outcome: 'refused', reason: 'registry_slow', durationMs: 2 });
      const third = await page('/licences');
      expect(third.headers['x-page-cache']).toBe('miss');
      expect(third.body).toContain('registry slow');
    });

    it('decided argument values are nowhere: not in pages, responses after the decision, events or uses', async () => {
      for (const r of (await f.db.query<{ id: number }>(`SELECT id::int FROM licence_requests WHERE status = 'pending'`)).rows) {
        await postJson(`/api/licence-requests/${r.id}/deny`, {});
      }
      expect((await page('/licences')).body).not.toContain(ARG_CANARY);
      expect((await page('/connectors/acme_shop')).body).not.toContain(ARG_CANARY);
      // In the registry: only on a request approved once and not yet spent (the registry module keeps
      // an approved call's arguments until it runs or its 15 minutes pass); no other row anywhere.
      const holding = await f.db.query<{ status: string }>(`SELECT status FROM licence_requests WHERE arguments::text LIKE '%' || $1 || '%'`, [ARG_CANARY]);
      expect(holding.rows.map((r) => r.status)).toEqual(['approved']);
      const dump = (await dumpAllTables(f.db)).split('\n').filter((line) => !line.includes('"approved"') && !/,approved,/.test(line));
      expect(dump.filter((line) => line.includes(ARG_CANARY))).toEqual([]);
      expect(f.logs.join('\n')).not.toContain(ARG_CANARY);
      expect(f.pageCache!.bodies().join('\n')).not.toContain(ARG_CANARY);
      // It was shown while pending, and only on /licences or the approval's confirmation.
      expect(everythingSeen()).toContain(ARG_CANARY);
    });
  });
});
