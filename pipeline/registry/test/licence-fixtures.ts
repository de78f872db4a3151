/**
 * A registry with connectors to license, written straight into the tables the sentinel owns (the
 * licence tests are about licences, not syncs): `acme` approved with two CODE_DELETE scopes and a
 * REFUND_ISSUE one, `other` approved with a CODE_DELETE scope, `drafty` a draft.
 */
import pg from 'pg';
import { migrateRegistry } from '../migrate.ts';

export const ACME = 'acme';
export const OTHER = 'other';
export const DRAFTY = 'drafty';

const digestOf = (slug: string, version = 1) => `${slug}-digest-v${version}`.padEnd(64, '0');

export async function seedLicenceRegistry(url: string): Promise<void> {
  await migrateRegistry(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO firearm_types (id, label, description) VALUES
         ('CODE_DELETE', 'Delete', 'Deletes data'), ('REFUND_ISSUE', 'Refund', 'Issues refunds'), ('GENERAL', 'General', 'Anything')`,
    );
    for (const [slug, status] of [[ACME, 'approved'], [OTHER, 'approved'], [DRAFTY, 'draft']] as const) {
      await client.query(
        `INSERT INTO connector_providers (provider_slug, display_name, auth_mode, status, manifest_path, manifest_digest, manifest, approved_digest, approved_at, approved_by)
         VALUES ($1, $2, 'none', $3, $4, $5, '{}', $6, $7, $8)`,
        [
          slug,
          `Service ${slug}`,
          status,
          `connectors/${slug}/manifest.yaml`,
          digestOf(slug),
          status === 'approved' ? digestOf(slug) : null,
          status === 'approved' ? new Date() : null,
          status === 'approved' ? 'seed' : null,
        ],
      );
    }
    const scopes: [string, string, string | null][] = [
      [ACME, 'read_items', null],
      [ACME, 'purge_items', 'CODE_DELETE'],
      [ACME, 'drop_tables', 'CODE_DELETE'],
      [ACME, 'refund', 'REFUND_ISSUE'],
      [OTHER, 'purge_items', 'CODE_DELETE'],
      [DRAFTY, 'purge_items', 'CODE_DELETE'],
    ];
    let position = 0;
    for (const [slug, name, type] of scopes) {
      await client.query(
        `INSERT INTO connector_scopes (provider_slug, name, description, requires_firearm, firearm_type, position) VALUES ($1, $2, $3, $4, $5, $6)`,
        [slug, name, `scope ${name}`, type !== null, type, position++],
      );
    }
  } finally {
    await client.end();
  }
}

/** What a sync does when a connector's manifest changes after approval: approved -> changed. */
export async function markChanged(pool: pg.Pool, slug: string): Promise<void> {
  await pool.query(`UPDATE connector_providers SET status = 'changed', manifest_digest = $2 WHERE provider_slug = $1`, [slug, digestOf(slug, 2)]);
}

/** The operator approves the new version: approved again, at a new digest. */
export async function reapprove(pool: pg.Pool, slug: string): Promise<void> {
  await pool.query(`UPDATE connector_providers SET status = 'approved', approved_digest = manifest_digest WHERE provider_slug = $1`, [slug]);
}
