/**
 * A key name belongs to one connector: the site refuses to set a key that more than one connector
 * declares (a registry from before that rule can hold one: the migration keeps both rows), or
 * that another connector owns, with 409 and a message, and nothing reaches the vault. On every
 * backend, against the real site, vault-agent and registry.
 */
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '../../pipeline/registry/testing.ts';
import { testManifest } from '../../pipeline/schema/test/test-manifest.ts';
import { csrfFrom, startFixture, type SiteFixture } from './helpers/fixture.ts';
import { form, request } from './helpers/http.ts';
import { seedCatalog, seedConnectors } from './helpers/seed.ts';

const SHARED = 'PROVIDER_DUMMY_SERVICE_API_KEY';
const CANARY = 'canary-value-5b1e7-never-stored';

describe.each(testBackends())('a key declared by more than one connector (%s)', (backend) => {
  let f: SiteFixture;
  let csrf: string;
  const setKey = (slug: string, name: string, json: boolean) =>
    request(
      `${f.url}/api/connectors/${slug}/secrets/${name}`,
      json
        ? { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify({ value: CANARY }) }
        : { method: 'POST', ...form({ value: CANARY, csrf }) },
    );

  beforeAll(async () => {
    f = await startFixture(backend);
    await seedCatalog(f.db);
    const owner = testManifest('dummy_service'); // declares PROVIDER_DUMMY_SERVICE_API_KEY
    const claimant = testManifest('dummy_service_api', {
      secrets: [{ key: SHARED, label: 'API key', optional: false }, { key: 'PROVIDER_DUMMY_SERVICE_API_TOKEN', label: 'Token', optional: false }],
    });
    // The state a registry held before key names were unique (the claim trigger came with the
    // migration that keeps both rows): written with the triggers off, as the old rules allowed.
    await f.db.query('ALTER TABLE connector_secrets DISABLE TRIGGER secret_key_owners_claim_insert');
    try {
      await seedConnectors(f.db, [owner, claimant]);
    } finally {
      await f.db.query('ALTER TABLE connector_secrets ENABLE TRIGGER secret_key_owners_claim_insert');
    }
    // What the migration then records: each name's first declarer owns it.
    await f.db.query(
      `INSERT INTO secret_key_owners (key_name, provider_slug)
       SELECT DISTINCT ON (key_name) key_name, provider_slug FROM connector_secrets ORDER BY key_name, provider_slug`,
    );
    csrf = csrfFrom((await request(`${f.url}/`)).body);
  });
  afterAll(() => f?.close());

  it('answers 409 key_shared naming the other connector, for the JSON client, from either connector', async () => {
    const fromClaimant = await setKey('dummy_service_api', SHARED, true);
    expect(fromClaimant.status).toBe(409);
    const body = JSON.parse(fromClaimant.body);
    expect(body).toMatchObject({ ok: false, code: 'key_shared' });
    expect(body.message).toContain(`The key name ${SHARED} is also declared by connector "dummy_service"`);
    const fromOwner = await setKey('dummy_service', SHARED, true);
    expect(fromOwner.status).toBe(409);
    expect(JSON.parse(fromOwner.body).message).toContain('"dummy_service_api"');
  });

  it('sends the form back with the reason, and writes nothing to the vault', async () => {
    const reply = await setKey('dummy_service_api', SHARED, false);
    expect(reply.headers.location).toBe(`/connectors/dummy_service_api?key=${SHARED}&error=key_shared#auth`);
    const shown = await request(`${f.url}${reply.headers.location!.replace(/#.*/, '')}`);
    expect(shown.body).toContain('This key name is declared by more than one connector, so it cannot be set here');
    expect((await readdir(f.vaultDir)).filter((n) => n.startsWith(SHARED))).toEqual([]);
  });

  it('a name whose owner removed it is still not the other connector\'s to set', async () => {
    await f.db.query(`DELETE FROM connector_secrets WHERE provider_slug = 'dummy_service' AND key_name = $1`, [SHARED]);
    const reply = await setKey('dummy_service_api', SHARED, true);
    expect(reply.status).toBe(409);
    expect(JSON.parse(reply.body).message).toContain('"dummy_service"');
  });

  it('a key only its connector declares is set as before', async () => {
    const reply = await setKey('dummy_service_api', 'PROVIDER_DUMMY_SERVICE_API_TOKEN', true);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ok: true });
  });
});
