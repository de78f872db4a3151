/**
 * Firearm licences in the registry (pipeline/registry/licences.ts), on the embedded PGlite and on
 * real PostgreSQL, each in a fresh database: who may grant, what a licence covers, what a one-shot
 * approval covers, and the rules the database itself holds whoever writes.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  approveRequest,
  checkAndConsume,
  denyRequest,
  expireStaleRequests,
  finishUse,
  getRequest,
  grantLicence,
  listLicences,
  listPendingRequests,
  listRecentUses,
  recordRequest,
  recordUse,
  revokeLicence,
  type FirearmCall,
  type GrantInput,
} from '../licences.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../testing.ts';
import { ACME, DRAFTY, markChanged, OTHER, reapprove, seedLicenceRegistry } from './licence-fixtures.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(testBackends())('firearm licences (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    await seedLicenceRegistry(db.url);
    pool = new pg.Pool({ connectionString: db.url, max: 8 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  let n = 0;
  /** A call of acme's purge_items with fresh arguments (so tests do not share one-shots). */
  const purge = (over: Partial<FirearmCall> = {}): FirearmCall => ({
    providerSlug: ACME,
    tool: 'purge_items',
    scope: 'purge_items',
    firearmType: 'CODE_DELETE',
    argumentsSha256: sha(`args-${backend}-${++n}`),
    client: { name: 'test-agent', version: '2.0.0' },
    ...over,
  });
  const grant = (over: Partial<GrantInput> = {}) =>
    grantLicence(pool, { providerSlug: ACME, firearmType: 'CODE_DELETE', durationMinutes: 60, operator: 'alice', ...over });
  const granted = async (over: Partial<GrantInput> = {}) => {
    const result = await grant(over);
    if (!result.ok) throw new Error(result.message);
    return result.licence;
  };
  /** Licences are per connector and type; each test that grants revokes what it granted. */
  const revokeAll = async () => {
    for (const l of await listLicences(pool, { active: true })) await revokeLicence(pool, l.id, 'cleanup');
  };
  const eventsOf = async (kind: string) =>
    (await pool.query<{ actor: string; details: Record<string, unknown> }>(`SELECT actor, details FROM registry_events WHERE kind = $1 ORDER BY id`, [kind]))
      .rows;

  describe('granting', () => {
    it('a licence for a connector that is not approved is refused with a message, and nothing is written', async () => {
      const before = (await pool.query(`SELECT count(*)::int AS n FROM firearm_licences`)).rows[0].n;
      const result = await grant({ providerSlug: DRAFTY });
      expect(result).toMatchObject({ ok: false, code: 'connector_not_approved' });
      if (!result.ok) expect(result.message).toMatch(/"drafty" is draft, not approved: .*approve it on its page first/);
      expect((await pool.query(`SELECT count(*)::int AS n FROM firearm_licences`)).rows[0].n).toBe(before);
    });

    it('an unknown connector, a firearm type or scope that is not the connector\'s, and bad numbers are refused', async () => {
      expect(await grant({ providerSlug: 'nope' })).toMatchObject({ ok: false, code: 'not_found' });
      const otherType = await grant({ firearmType: 'GENERAL' });
      expect(otherType).toMatchObject({ ok: false, code: 'firearm_type_mismatch' });
      if (!otherType.ok) expect(otherType.message).toContain('its firearm types are CODE_DELETE, REFUND_ISSUE');
      const wrongScope = await grant({ scope: 'refund' });
      expect(wrongScope).toMatchObject({ ok: false, code: 'firearm_type_mismatch' });
      if (!wrongScope.ok) expect(wrongScope.message).toContain('scope refund of "acme" is of firearm type REFUND_ISSUE');
      expect(await grant({ scope: 'read_items' })).toMatchObject({ ok: false, code: 'firearm_type_mismatch' });
      for (const durationMinutes of [0, 10_081, 1.5, Number.NaN]) {
        expect(await grant({ durationMinutes })).toMatchObject({ ok: false, code: 'invalid_input' });
      }
      expect(await grant({ maxUses: 0 })).toMatchObject({ ok: false, code: 'invalid_input' });
      expect(await grant({ operator: '  ' })).toMatchObject({ ok: false, code: 'invalid_input' });
    });

    it('a grant records who granted it in registry_events, and the licence lasts what was asked (7 days at most)', async () => {
      const licence = await granted({ durationMinutes: 10_080, maxUses: 3, note: ' for the cleanup ' });
      expect(licence).toMatchObject({ provider_slug: ACME, firearm_type: 'CODE_DELETE', scope: null, granted_by: 'alice', max_uses: 3, uses: 0, note: 'for the cleanup', state: 'active' });
      expect(licence.expires_at.getTime() - licence.granted_at.getTime()).toBe(10_080 * 60_000);
      expect((await eventsOf('licence_grant')).at(-1)).toMatchObject({
        actor: 'alice',
        details: { licence_id: licence.id, firearm_type: 'CODE_DELETE', scope: null, max_uses: 3, note: 'for the cleanup' },
      });
      await revokeAll();
    });

    it('the database refuses a licence longer than 7 days, of an unknown firearm type, or used beyond max_uses', async () => {
      const insert = (type: string, expires: string) =>
        pool.query(
          `INSERT INTO firearm_licences (provider_slug, firearm_type, granted_by, expires_at, connector_digest) VALUES ('acme', $1, 'x', now() + $2::interval, 'd')`,
          [type, expires],
        );
      await expect(insert('CODE_DELETE', '7 days 1 minute')).rejects.toThrow(/check constraint/);
      await expect(insert('CODE_DELETE', '30 seconds')).rejects.toThrow(/check constraint/);
      await expect(insert('NO_SUCH_TYPE', '1 hour')).rejects.toThrow(/foreign key/);
      const licence = await granted({ maxUses: 1 });
      await expect(pool.query(`UPDATE firearm_licences SET uses = 1 WHERE id = $1`, [licence.id])).rejects.toThrow(/counted from firearm_uses only/);
      await expect(pool.query(`UPDATE firearm_licences SET expires_at = expires_at + interval '1 day' WHERE id = $1`, [licence.id])).rejects.toThrow(
        /cannot be changed/,
      );
      const use = (id: number) =>
        pool.query(
          `INSERT INTO firearm_uses (provider_slug, tool, scope, firearm_type, licence_id, arguments_sha256, outcome) VALUES ('acme', 't', 's', 'CODE_DELETE', $1, $2, 'allowed')`,
          [id, sha('x')],
        );
      await use(licence.id);
      await expect(use(licence.id)).rejects.toThrow(/check constraint/);
      expect((await listLicences(pool, { active: false })).find((l) => l.id === licence.id)).toMatchObject({ uses: 1, state: 'used_up' });
    });
  });

  describe('a call under a licence', () => {
    it('runs with a live licence; the use row and the licence counter agree, in one transaction', async () => {
      const licence = await granted();
      const call = purge();
      const result = await checkAndConsume(pool, call);
      expect(result).toMatchObject({ allowed: true, licenceId: licence.id, requestId: null });
      if (!result.allowed) return;
      await finishUse(pool, result.useId, 'succeeded', 12.5);
      const use = (await listRecentUses(pool, { providerSlug: ACME }))[0];
      expect(use).toMatchObject({
        id: result.useId,
        licence_id: licence.id,
        tool: 'purge_items',
        scope: 'purge_items',
        firearm_type: 'CODE_DELETE',
        arguments_sha256: call.argumentsSha256,
        outcome: 'succeeded',
        duration_ms: 12.5,
        client_name: 'test-agent',
        client_version: '2.0.0',
      });
      await revokeAll();
    });

    it('max_uses: the licence runs exactly that many calls, then refuses', async () => {
      const licence = await granted({ maxUses: 2 });
      const outcomes = [];
      for (let i = 0; i < 3; i++) outcomes.push((await checkAndConsume(pool, purge())).allowed);
      expect(outcomes).toEqual([true, true, false]);
      expect((await listLicences(pool, { active: false })).find((l) => l.id === licence.id)).toMatchObject({ uses: 2, state: 'used_up' });
      expect(await listLicences(pool, { providerSlug: ACME })).toEqual([]);
    });

    it('an expired licence licenses nothing', async () => {
      const { rows } = await pool.query<{ id: number }>(
        `INSERT INTO firearm_licences (provider_slug, firearm_type, granted_by, granted_at, expires_at, connector_digest)
         SELECT 'acme', 'CODE_DELETE', 'alice', now() - interval '2 hours', now() - interval '1 hour', approved_digest
           FROM connector_providers WHERE provider_slug = 'acme' RETURNING id::float8 AS id`,
      );
      expect(await checkAndConsume(pool, purge())).toMatchObject({ allowed: false, reason: 'no_licence' });
      expect((await listLicences(pool, { active: false })).find((l) => l.id === rows[0]!.id)).toMatchObject({ state: 'expired' });
    });

    it('a licence of another firearm type or another connector does not license the call', async () => {
      await granted({ firearmType: 'REFUND_ISSUE' });
      await granted({ providerSlug: OTHER });
      expect(await checkAndConsume(pool, purge())).toMatchObject({ allowed: false, reason: 'no_licence' });
      expect(await checkAndConsume(pool, purge({ scope: 'refund', tool: 'refund', firearmType: 'REFUND_ISSUE' }))).toMatchObject({ allowed: true });
      expect(await checkAndConsume(pool, purge({ providerSlug: OTHER }))).toMatchObject({ allowed: true });
      await revokeAll();
    });

    it('a scope-narrowed licence covers its scope only, and is preferred over a broad one', async () => {
      const narrow = await granted({ scope: 'purge_items' });
      expect(await checkAndConsume(pool, purge({ scope: 'drop_tables', tool: 'drop_tables' }))).toMatchObject({ allowed: false, reason: 'no_licence' });
      const broad = await granted();
      expect(await checkAndConsume(pool, purge())).toMatchObject({ allowed: true, licenceId: narrow.id });
      expect(await checkAndConsume(pool, purge({ scope: 'drop_tables', tool: 'drop_tables' }))).toMatchObject({ allowed: true, licenceId: broad.id });
      await revokeAll();
    });

    it('a call whose scope the registry does not know as that firearm type is refused (a manifest that is not the approved one)', async () => {
      await granted();
      expect(await checkAndConsume(pool, purge({ scope: 'read_items', tool: 'read_items' }))).toMatchObject({ allowed: false, reason: 'not_a_firearm_scope' });
      expect(await checkAndConsume(pool, purge({ firearmType: 'GENERAL' }))).toMatchObject({ allowed: false, reason: 'not_a_firearm_scope' });
      expect(await checkAndConsume(pool, purge({ providerSlug: 'nope' }))).toMatchObject({ allowed: false, reason: 'connector_unknown' });
      await revokeAll();
    });

    it('a connector that left approved is refused, and its licences stay void after it is approved again at a new digest', async () => {
      const licence = await granted({ providerSlug: OTHER });
      await markChanged(pool, OTHER);
      expect(await checkAndConsume(pool, purge({ providerSlug: OTHER }))).toMatchObject({
        allowed: false,
        reason: 'connector_not_approved',
        connectorStatus: 'changed',
      });
      await reapprove(pool, OTHER);
      expect(await checkAndConsume(pool, purge({ providerSlug: OTHER }))).toMatchObject({ allowed: false, reason: 'no_licence' });
      expect((await listLicences(pool, { providerSlug: OTHER, active: false })).find((l) => l.id === licence.id)).toMatchObject({
        state: 'connector_not_approved',
      });
    });

    it('a revoked licence licenses nothing; revoking twice is a conflict; the revocation names the operator', async () => {
      const licence = await granted();
      expect(await checkAndConsume(pool, purge())).toMatchObject({ allowed: true });
      expect(await revokeLicence(pool, licence.id, 'bob')).toMatchObject({ ok: true, licence: { state: 'revoked', revoked_by: 'bob', uses: 1 } });
      expect(await checkAndConsume(pool, purge())).toMatchObject({ allowed: false, reason: 'no_licence' });
      const again = await revokeLicence(pool, licence.id, 'bob');
      expect(again).toMatchObject({ ok: false, code: 'conflict' });
      expect(await revokeLicence(pool, 999_999, 'bob')).toMatchObject({ ok: false, code: 'not_found' });
      expect((await eventsOf('licence_revoke')).at(-1)).toMatchObject({ actor: 'bob', details: { licence_id: licence.id, uses: 1 } });
      await expect(pool.query(`UPDATE firearm_licences SET revoked_at = NULL, revoked_by = NULL WHERE id = $1`, [licence.id])).rejects.toThrow(
        /revocation is final/,
      );
    });

    it('a refused check writes nothing, not even the registry generation (a waiting call polls it)', async () => {
      await revokeAll();
      const generation = async () => (await pool.query(`SELECT generation::text AS g FROM registry_generation`)).rows[0].g as string;
      const before = await generation();
      for (let i = 0; i < 3; i++) expect(await checkAndConsume(pool, purge())).toMatchObject({ allowed: false, reason: 'no_licence' });
      expect(await checkAndConsume(pool, purge({ providerSlug: DRAFTY }))).toMatchObject({ allowed: false, reason: 'connector_not_approved' });
      expect(await checkAndConsume(pool, purge({ providerSlug: 'nope' }))).toMatchObject({ allowed: false, reason: 'connector_unknown' });
      expect(await generation()).toBe(before);
    });

    it('concurrent calls racing for the last use of a licence: exactly one wins', async () => {
      const licence = await granted({ maxUses: 1 });
      const results = await Promise.all(Array.from({ length: 8 }, () => checkAndConsume(pool, purge())));
      expect(results.filter((r) => r.allowed)).toHaveLength(1);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM firearm_uses WHERE licence_id = $1`, [licence.id]);
      expect(rows[0].n).toBe(1);
    });
  });

  describe('requests and one-shot approvals', () => {
    it('a refused call records a request with its arguments; an identical call reuses it, other arguments make another', async () => {
      await revokeAll();
      const call = purge();
      const first = await recordRequest(pool, { ...call, arguments: { id: 'itm_1' } });
      const again = await recordRequest(pool, { ...call, arguments: { id: 'itm_1' } });
      const other = await recordRequest(pool, { ...purge(), arguments: { id: 'itm_2' } });
      expect(first).toMatchObject({ ok: true, reused: false });
      expect(again).toMatchObject({ ok: true, reused: true });
      if (!first.ok || !again.ok || !other.ok) return;
      expect(again.requestId).toBe(first.requestId);
      expect(other.requestId).not.toBe(first.requestId);
      const pending = await listPendingRequests(pool, { providerSlug: ACME });
      expect(pending.find((r) => r.id === first.requestId)).toMatchObject({
        status: 'pending',
        arguments: { id: 'itm_1' },
        arguments_sha256: call.argumentsSha256,
        tool: 'purge_items',
        client_name: 'test-agent',
      });
      const used = await recordUse(pool, call, { outcome: 'refused', reason: 'no_licence', requestId: first.requestId, durationMs: 1 });
      expect((await listRecentUses(pool))[0]).toMatchObject({ id: used, outcome: 'refused', reason: 'no_licence', request_id: first.requestId, licence_id: null });
    });

    it('an approved request runs exactly one call with exactly those arguments, then its arguments are gone', async () => {
      const call = purge();
      const asked = await recordRequest(pool, { ...call, arguments: { id: 'itm_9', hard: true } });
      if (!asked.ok) throw new Error(asked.message);
      expect(await checkAndConsume(pool, call)).toMatchObject({ allowed: false });
      const approved = await approveRequest(pool, asked.requestId, 'carol');
      expect(approved).toMatchObject({ ok: true, request: { status: 'approved', decided_by: 'carol' } });
      if (!approved.ok) return;
      expect(approved.request.approval_expires_at!.getTime() - approved.request.decided_at!.getTime()).toBe(15 * 60_000);
      expect(await checkAndConsume(pool, { ...call, argumentsSha256: sha('other arguments') })).toMatchObject({ allowed: false });
      expect(await checkAndConsume(pool, { ...call, scope: 'drop_tables', tool: 'drop_tables' })).toMatchObject({ allowed: false });
      expect(await checkAndConsume(pool, call)).toMatchObject({ allowed: true, requestId: asked.requestId, licenceId: null });
      expect(await checkAndConsume(pool, call)).toMatchObject({ allowed: false, reason: 'no_licence' });
      expect(await getRequest(pool, asked.requestId)).toMatchObject({ status: 'spent', arguments: null });
      expect((await eventsOf('licence_request_approve')).at(-1)).toMatchObject({ actor: 'carol', details: { request_id: asked.requestId } });
      expect(await approveRequest(pool, asked.requestId, 'carol')).toMatchObject({ ok: false, code: 'conflict' });
      await expect(pool.query(`UPDATE licence_requests SET status = 'approved' WHERE id = $1`, [asked.requestId])).rejects.toThrow(/is spent: it cannot become approved/);
    });

    it('concurrent calls racing for one one-shot approval: exactly one wins', async () => {
      const call = purge();
      const asked = await recordRequest(pool, { ...call, arguments: { id: 'itm_race' } });
      if (!asked.ok) throw new Error(asked.message);
      await approveRequest(pool, asked.requestId, 'carol');
      const results = await Promise.all(Array.from({ length: 8 }, () => checkAndConsume(pool, call)));
      expect(results.filter((r) => r.allowed)).toHaveLength(1);
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM firearm_uses WHERE request_id = $1 AND outcome = 'allowed'`, [asked.requestId]);
      expect(rows[0].n).toBe(1);
    });

    it('an approval not used within its 15 minutes expires', async () => {
      const call = purge();
      const asked = await recordRequest(pool, { ...call, arguments: {} });
      if (!asked.ok) throw new Error(asked.message);
      await approveRequest(pool, asked.requestId, 'carol');
      await pool.query(
        `UPDATE licence_requests SET decided_at = now() - interval '20 minutes', approval_expires_at = now() - interval '5 minutes' WHERE id = $1`,
        [asked.requestId],
      );
      expect(await checkAndConsume(pool, call)).toMatchObject({ allowed: false });
      expect(await expireStaleRequests(pool)).toBeGreaterThanOrEqual(1);
      expect(await getRequest(pool, asked.requestId)).toMatchObject({ status: 'expired', arguments: null });
    });

    it('a pending request older than 24 hours is not listed, cannot be approved, and a new identical call asks afresh', async () => {
      const call = purge();
      const { rows } = await pool.query<{ id: number }>(
        `INSERT INTO licence_requests (provider_slug, tool, scope, firearm_type, arguments, arguments_sha256, requested_at)
         VALUES ('acme', 'purge_items', 'purge_items', 'CODE_DELETE', '{}', $1, now() - interval '25 hours') RETURNING id::float8 AS id`,
        [call.argumentsSha256],
      );
      const stale = rows[0]!.id;
      expect((await listPendingRequests(pool)).map((r) => r.id)).not.toContain(stale);
      expect(await approveRequest(pool, stale, 'carol')).toMatchObject({ ok: false, code: 'conflict' });
      const fresh = await recordRequest(pool, { ...call, arguments: {} });
      expect(fresh).toMatchObject({ ok: true, reused: false });
      expect(await getRequest(pool, stale)).toMatchObject({ status: 'expired', arguments: null });
    });

    it('a denied request runs nothing, drops its arguments, and names who denied it', async () => {
      const call = purge();
      const asked = await recordRequest(pool, { ...call, arguments: { id: 'itm_secret_plan' } });
      if (!asked.ok) throw new Error(asked.message);
      expect(await denyRequest(pool, asked.requestId, 'dave')).toMatchObject({ ok: true, request: { status: 'denied', decided_by: 'dave', arguments: null } });
      expect(await checkAndConsume(pool, call)).toMatchObject({ allowed: false });
      expect(await approveRequest(pool, asked.requestId, 'dave')).toMatchObject({ ok: false, code: 'conflict' });
      expect(await denyRequest(pool, asked.requestId, 'dave')).toMatchObject({ ok: false, code: 'conflict' });
      expect((await eventsOf('licence_request_deny')).at(-1)).toMatchObject({ actor: 'dave', details: { request_id: asked.requestId } });
    });

    it('a request of a connector that is not approved cannot be approved', async () => {
      const asked = await recordRequest(pool, { ...purge({ providerSlug: DRAFTY }), arguments: {} });
      if (!asked.ok) throw new Error(asked.message);
      expect(await approveRequest(pool, asked.requestId, 'carol')).toMatchObject({ ok: false, code: 'connector_not_approved' });
      expect(await getRequest(pool, asked.requestId)).toMatchObject({ status: 'pending' });
    });

    it('granting a licence from a request decides the request (no one-shot of its own) and the licence runs the call', async () => {
      await revokeAll();
      const call = purge();
      const asked = await recordRequest(pool, { ...call, arguments: { id: 'itm_5' } });
      if (!asked.ok) throw new Error(asked.message);
      expect(await grant({ fromRequestId: asked.requestId, firearmType: 'REFUND_ISSUE' })).toMatchObject({ ok: false, code: 'firearm_type_mismatch' });
      expect(await grant({ fromRequestId: asked.requestId, scope: 'drop_tables' })).toMatchObject({ ok: false, code: 'firearm_type_mismatch' });
      const licence = await granted({ fromRequestId: asked.requestId, maxUses: 1 });
      expect(licence.request_id).toBe(asked.requestId);
      expect(await getRequest(pool, asked.requestId)).toMatchObject({ status: 'approved', decided_by: 'alice', arguments: null });
      expect(await checkAndConsume(pool, call)).toMatchObject({ allowed: true, licenceId: licence.id });
      expect(await checkAndConsume(pool, call)).toMatchObject({ allowed: false });
      await expireStaleRequests(pool);
      expect(await getRequest(pool, asked.requestId)).toMatchObject({ status: 'approved' });
    });

    it('arguments too large to keep are replaced by a note naming their size and digest', async () => {
      const call = purge();
      const result = await recordRequest(pool, { ...call, arguments: { blob: 'x'.repeat(70_000) } });
      if (!result.ok) throw new Error(result.message);
      const request = await getRequest(pool, result.requestId);
      expect(JSON.stringify(request?.arguments)).toContain(call.argumentsSha256);
      expect(JSON.stringify(request?.arguments).length).toBeLessThan(1000);
    });

    it('a use row is a record: only an allowed call\'s outcome and duration can be set, once', async () => {
      const refused = await recordUse(pool, purge(), { outcome: 'refused', reason: 'no_licence', durationMs: 0 });
      await expect(pool.query(`UPDATE firearm_uses SET outcome = 'succeeded' WHERE id = $1`, [refused])).rejects.toThrow(/is a record/);
      await granted();
      const allowed = await checkAndConsume(pool, purge());
      if (!allowed.allowed) throw new Error(allowed.message);
      await finishUse(pool, allowed.useId, 'failed', 3, 'handler_failed');
      await finishUse(pool, allowed.useId, 'succeeded', 4);
      expect((await listRecentUses(pool)).find((u) => u.id === allowed.useId)).toMatchObject({ outcome: 'failed', reason: 'handler_failed', duration_ms: 3 });
      await revokeAll();
    });
  });

  it('every licence counter equals its use rows', async () => {
    const { rows } = await pool.query(
      `SELECT l.id, l.uses, (SELECT count(*)::int FROM firearm_uses u WHERE u.licence_id = l.id) AS counted FROM firearm_licences l`,
    );
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row.uses).toBe(row.counted);
  });
});
