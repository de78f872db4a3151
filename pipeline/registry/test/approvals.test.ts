/**
 * Approvals in the registry (pipeline/registry/approvals.ts), on the embedded PGlite and on real
 * PostgreSQL, each in a fresh database: revoking an approval sends the connector back to draft,
 * ends its licences and one-shot approvals for good (approving the same digest again does not
 * bring them back), and is recorded with the operator's name; approving all KPI mappings at once
 * approves exactly the unapproved ones of an approved connector at the digest the operator saw.
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { approveAllKpiMappings, approveProvider, revokeApproval } from '../approvals.ts';
import { approveRequest, checkAndConsume, grantLicence, recordRequest, type FirearmCall } from '../licences.ts';
import { freshDatabase, testBackends, type FreshDatabase } from '../testing.ts';
import { ACME, DRAFTY, markChanged, OTHER, seedLicenceRegistry } from './licence-fixtures.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(testBackends())('approvals (%s)', (backend) => {
  let db: FreshDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await freshDatabase(backend);
    await seedLicenceRegistry(db.url);
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    await pool.query(`INSERT INTO core_kpis (id, label, description) VALUES ('gross_sales', 'Gross sales', 'x'), ('orders', 'Orders', 'x'), ('ad_spend', 'Ad spend', 'x')`);
    await pool.query(
      `INSERT INTO kpi_mappings (provider_slug, raw_metric, core_kpi, aggregation, position, approved_at, approved_by) VALUES
         ($1, 'total_sales', 'gross_sales', 'sum', 0, now(), 'bob'), ($1, 'order_count', 'orders', 'sum', 1, NULL, NULL),
         ($1, 'spend', 'ad_spend', 'max', 2, NULL, NULL), ($2, 'spend', 'ad_spend', 'sum', 0, NULL, NULL), ($3, 'spend', 'ad_spend', 'sum', 0, NULL, NULL)`,
      [ACME, OTHER, DRAFTY],
    );
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  let n = 0;
  const call = (slug = ACME, scope = 'purge_items', type = 'CODE_DELETE'): FirearmCall => ({
    providerSlug: slug,
    tool: scope,
    scope,
    firearmType: type,
    argumentsSha256: sha(`args-${backend}-${++n}`),
    client: { name: 'test-agent', version: '1.0.0' },
  });
  const provider = async (slug: string) =>
    (await pool.query(`SELECT status, manifest_digest, approved_digest, approved_manifest, approved_at, approved_by FROM connector_providers WHERE provider_slug = $1`, [slug]))
      .rows[0];
  const eventsOf = async (kind: string, slug: string) =>
    (await pool.query<{ actor: string; details: Record<string, unknown> }>(`SELECT actor, details FROM registry_events WHERE kind = $1 AND provider_slug = $2 ORDER BY id`, [kind, slug]))
      .rows;
  const digestOf = async (slug: string) => (await provider(slug)).manifest_digest as string;

  describe('approving all KPI mappings', () => {
    it('is refused for a draft, and for a digest other than the current one, approving nothing', async () => {
      const draft = await approveAllKpiMappings(pool, { slug: DRAFTY, digest: await digestOf(DRAFTY), actor: 'carol' });
      expect(draft).toMatchObject({ ok: false, code: 'connector_not_approved' });
      if (!draft.ok) expect(draft.message).toMatch(/"drafty" is draft: approve the connector first/);
      const stale = await approveAllKpiMappings(pool, { slug: ACME, digest: 'f'.repeat(64), actor: 'carol' });
      expect(stale).toMatchObject({ ok: false, code: 'conflict' });
      expect(await approveAllKpiMappings(pool, { slug: 'nobody_here', digest: 'f'.repeat(64), actor: 'carol' })).toMatchObject({ ok: false, code: 'not_found' });
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM kpi_mappings WHERE approved_at IS NOT NULL`);
      expect(rows[0].n).toBe(1);
      expect(await eventsOf('approve_kpi', ACME)).toEqual([]);
    });

    it('approves exactly the unapproved mappings, one approve_kpi event each, and leaves the approved one as it was', async () => {
      const result = await approveAllKpiMappings(pool, { slug: ACME, digest: await digestOf(ACME), actor: 'carol' });
      expect(result).toEqual({
        ok: true,
        approved: [
          { raw_metric: 'order_count', core_kpi: 'orders', aggregation: 'sum' },
          { raw_metric: 'spend', core_kpi: 'ad_spend', aggregation: 'max' },
        ],
      });
      const { rows } = await pool.query(`SELECT raw_metric, approved_by FROM kpi_mappings WHERE provider_slug = $1 ORDER BY position`, [ACME]);
      expect(rows).toEqual([
        { raw_metric: 'total_sales', approved_by: 'bob' },
        { raw_metric: 'order_count', approved_by: 'carol' },
        { raw_metric: 'spend', approved_by: 'carol' },
      ]);
      expect(await eventsOf('approve_kpi', ACME)).toEqual([
        { actor: 'carol', details: { raw_metric: 'order_count', core_kpi: 'orders', aggregation: 'sum', all: true } },
        { actor: 'carol', details: { raw_metric: 'spend', core_kpi: 'ad_spend', aggregation: 'max', all: true } },
      ]);
      // Another connector's mapping is not touched.
      expect((await pool.query(`SELECT approved_at FROM kpi_mappings WHERE provider_slug = $1`, [OTHER])).rows[0].approved_at).toBeNull();
      // Nothing left: a no-op, no event.
      expect(await approveAllKpiMappings(pool, { slug: ACME, digest: await digestOf(ACME), actor: 'carol' })).toEqual({ ok: true, approved: [] });
      expect(await eventsOf('approve_kpi', ACME)).toHaveLength(2);
    });
  });

  describe('revoking an approval', () => {
    it('is refused for a draft and an unknown connector, changing nothing', async () => {
      const draft = await revokeApproval(pool, { slug: DRAFTY, actor: 'carol' });
      expect(draft).toMatchObject({ ok: false, code: 'connector_not_approved' });
      if (!draft.ok) expect(draft.message).toBe('"drafty" is draft: nobody approved it, so there is no approval to revoke');
      expect(await revokeApproval(pool, { slug: 'nobody_here', actor: 'carol' })).toMatchObject({ ok: false, code: 'not_found' });
      expect(await eventsOf('approval_revoked', DRAFTY)).toEqual([]);
    });

    it('sends the connector back to draft, ends its licences and one-shots (they stop applying), and records who did it', async () => {
      const digest = await digestOf(ACME);
      await pool.query(
        `INSERT INTO connector_approved_files (provider_slug, path, sha256, size, text) VALUES ($1, 'server.ts', $2, 2, 'hi')`,
        [ACME, sha('hi')],
      );
      const licence = await grantLicence(pool, { providerSlug: ACME, firearmType: 'CODE_DELETE', durationMinutes: 60, operator: 'alice' });
      if (!licence.ok) throw new Error(licence.message);
      const asked = call(ACME, 'refund', 'REFUND_ISSUE');
      const recorded = await recordRequest(pool, { ...asked, arguments: { order: 1 } });
      if (!recorded.ok) throw new Error(recorded.message);
      expect(await approveRequest(pool, recorded.requestId, 'alice')).toMatchObject({ ok: true });
      // Before: the licence lets a call run.
      expect(await checkAndConsume(pool, call())).toMatchObject({ allowed: true, licenceId: licence.licence.id });

      const result = await revokeApproval(pool, { slug: ACME, actor: 'carol' });
      expect(result).toEqual({ ok: true, status: 'draft', from: 'approved', licencesRevoked: [licence.licence.id], oneShotsExpired: 1 });
      expect(await provider(ACME)).toMatchObject({ status: 'draft', approved_digest: null, approved_manifest: null, approved_at: null, approved_by: null });
      expect((await pool.query(`SELECT count(*)::int AS n FROM connector_approved_files WHERE provider_slug = $1`, [ACME])).rows[0].n).toBe(0);
      expect((await pool.query(`SELECT revoked_by FROM firearm_licences WHERE id = $1`, [licence.licence.id])).rows[0].revoked_by).toBe('carol');
      expect((await pool.query(`SELECT status, arguments FROM licence_requests WHERE id = $1`, [recorded.requestId])).rows[0]).toEqual({ status: 'expired', arguments: null });
      expect(await eventsOf('approval_revoked', ACME)).toEqual([
        { actor: 'carol', details: { digest, approved_by: 'seed', from: 'approved', to: 'draft', licences_revoked: [licence.licence.id], one_shots_expired: 1 } },
      ]);
      expect((await eventsOf('licence_revoke', ACME)).at(-1)).toEqual({
        actor: 'carol',
        details: { licence_id: licence.licence.id, firearm_type: 'CODE_DELETE', scope: null, uses: 1, reason: 'approval_revoked' },
      });
      // The firearm gate refuses at once, licence or one-shot.
      expect(await checkAndConsume(pool, call())).toMatchObject({ allowed: false, reason: 'connector_not_approved', connectorStatus: 'draft' });
      expect(await checkAndConsume(pool, asked)).toMatchObject({ allowed: false, reason: 'connector_not_approved' });
      // KPI mapping approvals are kept.
      expect((await pool.query(`SELECT count(*)::int AS n FROM kpi_mappings WHERE provider_slug = $1 AND approved_at IS NOT NULL`, [ACME])).rows[0].n).toBe(3);
      // A second revoke has nothing to revoke.
      expect(await revokeApproval(pool, { slug: ACME, actor: 'carol' })).toMatchObject({ ok: false, code: 'connector_not_approved' });

      // Approving the very same digest again does not bring the licence or the one-shot back.
      expect(await approveProvider(pool, { slug: ACME, digest, actor: 'dave' })).toMatchObject({ ok: true, already: false });
      expect(await checkAndConsume(pool, call())).toMatchObject({ allowed: false, reason: 'no_licence' });
      expect(await checkAndConsume(pool, asked)).toMatchObject({ allowed: false, reason: 'no_licence' });
    });

    it('takes back the approval of a changed connector too, so restoring its files no longer makes it approved', async () => {
      await markChanged(pool, OTHER);
      const result = await revokeApproval(pool, { slug: OTHER, actor: 'carol' });
      expect(result).toMatchObject({ ok: true, from: 'changed', licencesRevoked: [] });
      expect(await provider(OTHER)).toMatchObject({ status: 'draft', approved_digest: null });
      expect((await eventsOf('approval_revoked', OTHER))[0]).toMatchObject({ actor: 'carol', details: { from: 'changed', to: 'draft' } });
    });

    it('is refused for a retired connector', async () => {
      await pool.query(`UPDATE connector_providers SET status = 'retired', retired_at = now() WHERE provider_slug = $1`, [DRAFTY]);
      expect(await revokeApproval(pool, { slug: DRAFTY, actor: 'carol' })).toMatchObject({ ok: false, code: 'retired' });
      expect(await approveAllKpiMappings(pool, { slug: DRAFTY, digest: await digestOf(DRAFTY), actor: 'carol' })).toMatchObject({ ok: false, code: 'retired' });
    });
  });
});
