/**
 * DESIGN.md's site security rules, each shown refusing, over plain HTTP against a real site,
 * a real vault-agent and a fresh registry on every backend.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { createCsrfTokens } from '../http/csrf.ts';
import { csrfFrom, dumpAllTables, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { everythingSeen, form, request } from './helpers/http.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const KEY = 'PROVIDER_ACME_SHOP_API_KEY';
const OTHER_KEY = 'PROVIDER_BETA_CRM_API_KEY';
// Distinctive enough that finding it anywhere is never a coincidence.
const CANARY = `canary-${Math.random().toString(36).slice(2)}-S3cr3t`;
const JSON_CANARY = `json-${CANARY}`;

describe.each(testBackends())('site security (%s)', (backend) => {
  let f: SiteFixture;
  let csrf: string;
  const page = (p: string, headers: Record<string, string> = {}) => request(`${f.url}${p}`, { headers });
  const post = (p: string, body: { headers: Record<string, string>; body: string }, headers: Record<string, string> = {}) =>
    request(`${f.url}${p}`, { method: 'POST', headers: { ...body.headers, ...headers }, body: body.body });
  const json = (value: unknown) => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) });

  beforeAll(async () => {
    f = await startFixture(backend);
    await seedCatalog(f.db);
    await seedConnectors(f.db, [testManifest('acme_shop'), testManifest('beta_crm')]);
    csrf = csrfFrom((await page('/connectors/acme_shop')).body);
  });
  afterAll(() => f?.close());

  it('answers on 127.0.0.1, localhost and [::1] with its port', async () => {
    for (const host of [f.host, f.host.replace('127.0.0.1', 'localhost'), f.host.replace('127.0.0.1', '[::1]')]) {
      expect((await page('/', { host })).status).toBe(200);
    }
  });

  it('refuses a foreign Host header with 421 (DNS rebinding)', async () => {
    const port = new URL(f.url).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${Number(port) + 1}`, '127.0.0.1']) {
      const reply = await page('/', { host });
      expect(reply.status).toBe(421);
      expect(reply.body).not.toContain('Connectors');
    }
  });

  it('refuses a state-changing request without a CSRF token (403), and nothing is written', async () => {
    const reply = await post(`/api/connectors/acme_shop/secrets/${KEY}`, form({ value: 'no-token-value' }));
    expect(reply.status).toBe(403);
    const jsonReply = await post(`/api/connectors/acme_shop/secrets/${KEY}`, json({ value: 'no-token-value' }));
    expect(jsonReply.status).toBe(403);
    expect(JSON.parse(jsonReply.body)).toMatchObject({ ok: false, code: 'csrf' });
    const approve = await post('/api/connectors/acme_shop/approve', form({ digest: 'a'.repeat(64) }));
    expect(approve.status).toBe(403);
    await expect(readFile(path.join(f.vaultDir, `${KEY}.txt`))).rejects.toThrow();
  });

  it('refuses a wrong CSRF token (403): forged, tampered, or from another server run', async () => {
    for (const token of ['forged', `${csrf}x`, createCsrfTokens().issue(f.cookie.split('=')[1]!)]) {
      expect((await post(`/api/connectors/acme_shop/secrets/${KEY}`, form({ value: 'x-value', csrf: token }))).status).toBe(403);
      expect((await post(`/api/connectors/acme_shop/secrets/${KEY}`, json({ value: 'x-value' }), { 'x-csrf-token': token })).status).toBe(403);
    }
  });

  it('refuses a foreign Origin (403) even with a valid token', async () => {
    for (const origin of ['http://evil.example', 'null', `http://localhost:${new URL(f.url).port}`]) {
      const reply = await post(`/api/connectors/acme_shop/secrets/${KEY}`, form({ value: 'x-value', csrf }), { origin });
      expect(reply.status).toBe(403);
    }
    const same = await post(`/api/connectors/acme_shop/secrets/${KEY}`, form({ value: 'origin-ok-value', csrf }), { origin: f.url });
    expect(same.status).toBe(303);
  });

  it('answers 404 for a key name the connector does not declare', async () => {
    for (const name of ['PROVIDER_ACME_SHOP_OTHER', OTHER_KEY, 'lower_case', 'A'.repeat(200)]) {
      const reply = await post(`/api/connectors/acme_shop/secrets/${name}`, form({ value: 'x-value', csrf }));
      expect(reply.status).toBe(404);
    }
    expect((await post(`/api/connectors/no_such/secrets/${KEY}`, form({ value: 'x-value', csrf }))).status).toBe(404);
  });

  it('shows the reason when vault-agent refuses a value, without the value', async () => {
    const refused = ` padded-${CANARY} `;
    // The key is set (above): replacing it takes confirm.
    const reply = await post(`/api/connectors/acme_shop/secrets/${KEY}`, form({ value: refused, csrf, confirm: 'yes' }));
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe(`/connectors/acme_shop?key=${KEY}&error=invalid_value#auth`);
    const shown = await page(reply.headers.location!.replace(/#.*/, ''));
    expect(shown.body).toContain('vault-agent refused the value');
    const jsonReply = await post(`/api/connectors/acme_shop/secrets/${KEY}`, json({ value: refused, confirm: true }), { 'x-csrf-token': csrf });
    expect(jsonReply.status).toBe(400);
    expect(JSON.parse(jsonReply.body)).toMatchObject({ ok: false, code: 'invalid_value' });
  });

  it('validates bodies: unknown JSON fields, a missing value, other media types and oversize bodies are refused', async () => {
    const url = `/api/connectors/acme_shop/secrets/${KEY}`;
    expect((await post(url, json({ value: 'v-value', extra: 1 }), { 'x-csrf-token': csrf })).status).toBe(400);
    expect((await post(url, json({}), { 'x-csrf-token': csrf })).status).toBe(400);
    expect((await post(url, { headers: { 'content-type': 'text/plain' }, body: 'v' }, { 'x-csrf-token': csrf })).status).toBe(415);
    expect((await post(url, form({ value: 'x'.repeat(300_000), csrf }))).status).toBe(413);
  });

  it('sets a key by form (303 back with the name only) and by JSON ({"ok":true}); the files hold the values', async () => {
    const reply = await post(`/api/connectors/acme_shop/secrets/${KEY}`, form({ value: CANARY, csrf, confirm: 'yes' }));
    expect(reply.status).toBe(303);
    expect(reply.headers.location).toBe(`/connectors/acme_shop?set=${KEY}#auth`);
    expect(await readFile(path.join(f.vaultDir, `${KEY}.txt`), 'utf8')).toBe(CANARY);
    const after = await page(`/connectors/acme_shop?set=${KEY}`);
    expect(after.body).toContain(`Key ${KEY} was set`);
    expect(after.body).toMatch(new RegExp(`data-key="${KEY}" data-state="set"`));

    const jsonReply = await post(`/api/connectors/beta_crm/secrets/${OTHER_KEY}`, json({ value: JSON_CANARY }), { 'x-csrf-token': csrf });
    expect(jsonReply.status).toBe(200);
    expect(JSON.parse(jsonReply.body)).toEqual({ ok: true });
    expect(await readFile(path.join(f.vaultDir, `${OTHER_KEY}.txt`), 'utf8')).toBe(JSON_CANARY);

    const { rows } = await f.db.query(`SELECT kind, actor, details FROM registry_events WHERE kind = 'key_set' ORDER BY id`);
    expect(rows.map((r) => r.details.key)).toEqual(expect.arrayContaining([KEY, OTHER_KEY]));
    expect(rows.every((r) => r.actor === 'tester')).toBe(true);
  });

  it('approves a draft with the digest shown, refuses a stale digest, and records who and when', async () => {
    const { rows } = await f.db.query(`SELECT manifest_digest FROM connector_providers WHERE provider_slug = 'beta_crm'`);
    const stale = await post('/api/connectors/beta_crm/approve', form({ digest: 'f'.repeat(64), csrf }));
    expect(stale.headers.location).toBe('/connectors/beta_crm?error=conflict#status');
    const ok = await post('/api/connectors/beta_crm/approve', form({ digest: rows[0].manifest_digest, csrf, confirm: 'yes' }));
    expect(ok.headers.location).toBe('/connectors/beta_crm?approved=1#status');
    const kpi = await post('/api/connectors/beta_crm/kpis/approve', json({ raw_metric: 'total_sales', core_kpi: 'gross_sales' }), { 'x-csrf-token': csrf });
    expect(JSON.parse(kpi.body)).toEqual({ ok: true });
    const { rows: events } = await f.db.query(
      `SELECT kind, actor, at FROM registry_events WHERE provider_slug = 'beta_crm' AND kind LIKE 'approve%' ORDER BY id`,
    );
    expect(events.map((e) => [e.kind, e.actor])).toEqual([['approve', 'tester'], ['approve_kpi', 'tester']]);
    expect(events.every((e) => e.at instanceof Date)).toBe(true);
    const { rows: status } = await f.db.query(`SELECT status FROM connector_providers WHERE provider_slug = 'beta_crm'`);
    expect(status[0].status).toBe('approved');
  });

  it('sends no CORS headers, even to a preflight or a cross-origin GET', async () => {
    const replies = [
      await page('/', { origin: 'http://evil.example' }),
      await request(`${f.url}/api/connectors/acme_shop/secrets/${KEY}`, {
        method: 'OPTIONS',
        headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' },
      }),
      await page('/favicon.svg', { origin: 'http://evil.example' }),
    ];
    expect(replies[1]!.status).toBe(405);
    for (const r of replies) expect(Object.keys(r.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('sends a strict CSP and the other protective headers; pages are never cached and hold no inline script or style', async () => {
    for (const p of ['/', '/connectors/acme_shop', '/syncs']) {
      const r = await page(p);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(r.body).not.toMatch(/<style|\sstyle="/);
    }
  });

  it('renders secret inputs as password fields with autocomplete off', async () => {
    const html = (await page('/connectors/acme_shop')).body;
    // The key that is set (above) offers Replace…, whose confirmation step holds its field.
    const step = (await post(`/api/connectors/acme_shop/secrets/${KEY}`, form({ csrf }))).body;
    expect(step).toContain(`Replace the key ${KEY}?`);
    const inputs = [html, step].flatMap((h) => h.match(/<input[^>]*name="value"[^>]*>/g) ?? []);
    expect(inputs.length).toBe(2);
    for (const input of inputs) {
      expect(input).toContain('type="password"');
      expect(input).toContain('autocomplete="off"');
    }
  });

  it('never lets a value reach any response, the log or any database table', async () => {
    // Render every page once more after the values were set, then search everything.
    for (const p of ['/', '/?missing=1', '/connectors/acme_shop', '/connectors/beta_crm', '/syncs']) await page(p);
    const dump = await dumpAllTables(f.db);
    expect(dump).toContain(KEY); // the dump is real: the key-set event is in it
    for (const value of [CANARY, JSON_CANARY]) {
      expect(everythingSeen()).not.toContain(value);
      expect(f.logs.join('\n')).not.toContain(value);
      expect(dump).not.toContain(value);
    }
  });
});
