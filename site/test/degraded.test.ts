/**
 * The site when things are not fine: vault-agent stopped (pages still render and say keys cannot
 * be set right now), and a retired connector (shown read-only, nothing can be set or approved).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineStateView } from '../src/lib/ports.ts';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { csrfFrom, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { form, request } from './helpers/http.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const KEY = 'PROVIDER_ACME_SHOP_API_KEY';

describe.each(testBackends())('degraded states (%s)', (backend) => {
  let f: SiteFixture;
  let csrf: string;

  // What npm start reports after a sync that found a broken manifest.
  const pipeline: PipelineStateView = { validation: null, syncedAt: new Date(), error: null };

  beforeAll(async () => {
    f = await startFixture(backend, { pipelineState: () => pipeline });
    await seedCatalog(f.db);
    await seedConnectors(f.db, [testManifest('acme_shop'), testManifest('old_tool')]);
    await f.db.query(`UPDATE connector_providers SET status = 'retired', retired_at = now() WHERE provider_slug = 'old_tool'`);
    csrf = csrfFrom((await request(`${f.url}/`)).body);
  });
  afterAll(() => f?.close());

  describe('with vault-agent stopped', () => {
    beforeAll(() => f.stopVault());
    afterAll(() => f.startVault());

    it('still renders the list and the detail page, saying keys cannot be set right now', async () => {
      const list = await request(`${f.url}/`);
      expect(list.status).toBe(200);
      expect(list.body).toContain('keys cannot be set right now');
      const detail = await request(`${f.url}/connectors/acme_shop`);
      expect(detail.status).toBe(200);
      expect(detail.body).toContain('keys cannot be set right now');
      expect(detail.body).toContain('data-state="unknown"');
      expect(detail.body).not.toContain('name="value"');
    });

    it('answers a Set key post with the reason: vault-agent is not reachable', async () => {
      const reply = await request(`${f.url}/api/connectors/acme_shop/secrets/${KEY}`, { method: 'POST', ...form({ value: 'some-value', csrf }) });
      expect(reply.headers.location).toBe(`/connectors/acme_shop?key=${KEY}&error=vault_unavailable#auth`);
      const shown = await request(`${f.url}${reply.headers.location!.replace(/#.*/, '')}`);
      expect(shown.body).toContain('vault-agent is not reachable, so keys cannot be set right now');
      const json = await request(`${f.url}/api/connectors/acme_shop/secrets/${KEY}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ value: 'some-value' }),
      });
      expect(json.status).toBe(503);
      expect(JSON.parse(json.body)).toMatchObject({ ok: false, code: 'vault_unavailable' });
      const { rows } = await f.db.query(`SELECT details FROM registry_events WHERE kind = 'key_set_failed'`);
      expect(rows.map((r) => r.details)).toContainEqual({ key: KEY, code: 'vault_unavailable' });
    });
  });

  it('sets keys again once vault-agent is back', async () => {
    const reply = await request(`${f.url}/api/connectors/acme_shop/secrets/${KEY}`, { method: 'POST', ...form({ value: 'back-value', csrf }) });
    expect(reply.headers.location).toBe(`/connectors/acme_shop?set=${KEY}#auth`);
  });

  it('shows a retired connector read-only: no approve button, no Set key form, and posts are refused', async () => {
    const detail = await request(`${f.url}/connectors/old_tool`);
    expect(detail.status).toBe(200);
    expect(detail.body).toContain('Retired');
    expect(detail.body).not.toContain('/approve"');
    expect(detail.body).not.toContain('name="value"');
    const set = await request(`${f.url}/api/connectors/old_tool/secrets/PROVIDER_OLD_TOOL_API_KEY`, { method: 'POST', ...form({ value: 'v-value', csrf }) });
    expect(set.headers.location).toBe('/connectors/old_tool?key=PROVIDER_OLD_TOOL_API_KEY&error=retired#auth');
    const { rows } = await f.db.query(`SELECT manifest_digest FROM connector_providers WHERE provider_slug = 'old_tool'`);
    const approve = await request(`${f.url}/api/connectors/old_tool/approve`, { method: 'POST', ...form({ digest: rows[0].manifest_digest, csrf }) });
    expect(approve.headers.location).toBe('/connectors/old_tool?error=retired#status');
  });

  it('answers 404 with a helpful page for an unknown connector or path', async () => {
    const missing = await request(`${f.url}/connectors/no_such_thing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('No connector “no_such_thing”');
    const nowhere = await request(`${f.url}/nowhere`);
    expect(nowhere.status).toBe(404);
    expect(nowhere.body).toContain('Page not found');
  });

  it('says on every page when npm start found broken manifests, and stops saying it once they are fixed', async () => {
    pipeline.validation = {
      ok: false,
      errors: [{ file: 'connectors/acme_shop/manifest.yaml', line: 7, column: 12, path: 'auth_mode', message: 'must be one of oauth, byok' }],
    };
    for (const p of ['/', '/connectors/acme_shop', '/syncs']) {
      const body = (await request(`${f.url}${p}`)).body;
      expect(body).toContain('1 problem in 1 file');
      expect(body).toContain('data-location="connectors/acme_shop/manifest.yaml:7:12"');
    }
    pipeline.validation = { ok: true, errors: [] };
    expect((await request(`${f.url}/`)).body).not.toContain('pipeline-banner');
  });
});
