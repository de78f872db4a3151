/**
 * Test data written straight into the registry tables (set-based, so 10,000 connectors take one
 * round trip per table). Used where a test needs many connectors or a state the sentinel does not
 * produce directly; the walk-through tests register connectors through the real sentinel. The
 * manifests come from the one test manifest, testManifest (pipeline/schema/test/test-manifest.ts).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import type pg from 'pg';
import { manifestDigest } from '../../../pipeline/schema/digest.ts';
import type { Manifest } from '../../../pipeline/schema/manifest.ts';

const CATALOG_DIR = path.resolve(import.meta.dirname, '../../../pipeline/catalog');

type Db = Pick<pg.Pool, 'query'>;

export async function seedCatalog(db: Db): Promise<void> {
  const firearms = parse(await readFile(path.join(CATALOG_DIR, 'firearm-types.yaml'), 'utf8')).firearm_types;
  const kpis = parse(await readFile(path.join(CATALOG_DIR, 'core-kpis.yaml'), 'utf8')).core_kpis;
  await db.query(
    `INSERT INTO firearm_types (id, label, description)
     SELECT id, label, description FROM jsonb_to_recordset($1::jsonb) AS t(id text, label text, description text)
     ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(firearms)],
  );
  await db.query(
    `INSERT INTO core_kpis (id, label, description, unit)
     SELECT id, label, description, unit FROM jsonb_to_recordset($1::jsonb) AS t(id text, label text, description text, unit text)
     ON CONFLICT (id) DO NOTHING`,
    [JSON.stringify(kpis)],
  );
}

/** Inserts each manifest as a provider in `status` (default draft) with its child rows. */
export async function seedConnectors(db: Db, manifests: Manifest[], status: 'draft' | 'approved' = 'draft'): Promise<void> {
  const providers = manifests.map((m) => {
    const digest = manifestDigest(m);
    return {
      slug: m.provider_slug,
      display_name: m.display_name,
      description: m.description ?? null,
      auth_mode: m.auth_mode,
      docs_url: m.docs_url ?? null,
      path: `connectors/${m.provider_slug}/manifest.yaml`,
      digest,
      manifest: m,
      approved: status === 'approved',
    };
  });
  await db.query(
    `INSERT INTO connector_providers (provider_slug, display_name, description, auth_mode, docs_url, status,
       manifest_path, manifest_digest, manifest, approved_digest, approved_manifest, approved_at, approved_by)
     SELECT slug, display_name, description, auth_mode, docs_url, CASE WHEN approved THEN 'approved' ELSE 'draft' END,
       path, digest, manifest, CASE WHEN approved THEN digest END, CASE WHEN approved THEN manifest END,
       CASE WHEN approved THEN now() END, CASE WHEN approved THEN 'seed' END
     FROM jsonb_to_recordset($1::jsonb) AS t(slug text, display_name text, description text, auth_mode text,
       docs_url text, path text, digest text, manifest jsonb, approved boolean)`,
    [JSON.stringify(providers)],
  );
  const scopes = manifests.flatMap((m) =>
    m.scopes.map((s, i) => ({ slug: m.provider_slug, ...s, firearm_type: s.firearm_type ?? null, access: s.access ?? null, position: i })),
  );
  await db.query(
    `INSERT INTO connector_scopes (provider_slug, name, description, requires_firearm, firearm_type, access, position)
     SELECT slug, name, description, requires_firearm, firearm_type, access, position
     FROM jsonb_to_recordset($1::jsonb) AS t(slug text, name text, description text, requires_firearm boolean, firearm_type text, access text, position int)`,
    [JSON.stringify(scopes)],
  );
  const kpis = manifests.flatMap((m) => m.kpis.map((k, i) => ({ slug: m.provider_slug, ...k, position: i })));
  await db.query(
    `INSERT INTO kpi_mappings (provider_slug, raw_metric, core_kpi, aggregation, position)
     SELECT slug, raw, standard, aggregation, position
     FROM jsonb_to_recordset($1::jsonb) AS t(slug text, raw text, standard text, aggregation text, position int)`,
    [JSON.stringify(kpis)],
  );
  const secrets = manifests.flatMap((m) =>
    m.secrets.map((s, i) => ({ slug: m.provider_slug, ...s, description: s.description ?? null, position: i })),
  );
  await db.query(
    `INSERT INTO connector_secrets (provider_slug, key_name, label, description, optional, position)
     SELECT slug, key, label, description, optional, position
     FROM jsonb_to_recordset($1::jsonb) AS t(slug text, key text, label text, description text, optional boolean, position int)`,
    [JSON.stringify(secrets)],
  );
  await db.query(
    `INSERT INTO registry_syncs (started_at, actor, outcome, counts) VALUES (now(), 'seed', 'applied', $1::jsonb)`,
    [JSON.stringify({ providers: { added: manifests.length, changed: 0, unchanged: 0, retired: 0, revived: 0 } })],
  );
}
