/**
 * Applies a plan inside the caller's transaction, reading nothing but the plan: each change
 * carries the rows it writes (plan.ts makes them from the manifests). Set-based statements: rows travel as JSON
 * arrays (jsonb_to_recordset) in batches of bounded size (json-batches.ts: a few statements per
 * table for a small change, a few dozen for a cold sync of 100,000 connectors) or as parallel
 * arrays (unnest), and nothing is sent for providers whose digest is unchanged. Upserts carry `WHERE ... IS DISTINCT FROM`, so a row whose values are
 * already right is not rewritten and keeps its updated_at.
 *
 * Touches only: firearm_types and core_kpis (the catalogue), and the connector_providers rows
 * named in the plan with their connector_scopes, kpi_mappings and connector_secrets rows (and the
 * connector_approved_files of revived ones). connector_files is files.ts's.
 */
import { APPLY_BATCHES, sendJsonBatches, type ApplyBatches } from './json-batches.ts';
import type { Plan, ProviderChange, ProviderWrites } from './types.ts';
import type { Queryable } from '../registry/db.ts';


const json = (rows: unknown[]) => JSON.stringify(rows);

export async function applyCatalog(client: Queryable, plan: Plan): Promise<void> {
  const fa = plan.catalog.firearm_types;
  const upsertFirearms = [...fa.added, ...fa.changed.map((c) => c.after)];
  if (upsertFirearms.length > 0) {
    await client.query(
      `INSERT INTO firearm_types AS t (id, label, description)
       SELECT id, label, description FROM jsonb_to_recordset($1::jsonb) AS r(id text, label text, description text)
       ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, description = EXCLUDED.description, retired_at = NULL, updated_at = now()
       WHERE (t.label, t.description, t.retired_at) IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, NULL)`,
      [json(upsertFirearms)],
    );
  }
  const ck = plan.catalog.core_kpis;
  const upsertKpis = [...ck.added, ...ck.changed.map((c) => c.after)];
  if (upsertKpis.length > 0) {
    await client.query(
      `INSERT INTO core_kpis AS t (id, label, description, unit)
       SELECT id, label, description, unit FROM jsonb_to_recordset($1::jsonb) AS r(id text, label text, description text, unit text)
       ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, description = EXCLUDED.description, unit = EXCLUDED.unit,
                                      retired_at = NULL, updated_at = now()
       WHERE (t.label, t.description, t.unit, t.retired_at) IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.unit, NULL)`,
      [json(upsertKpis)],
    );
  }
  // Removed entries are retired, not deleted: tombstoned scopes and mappings still reference them.
  if (fa.removed.length > 0) {
    await client.query(`UPDATE firearm_types SET retired_at = now(), updated_at = now() WHERE id = ANY($1::text[]) AND retired_at IS NULL`, [
      fa.removed.map((r) => r.id),
    ]);
  }
  if (ck.removed.length > 0) {
    await client.query(`UPDATE core_kpis SET retired_at = now(), updated_at = now() WHERE id = ANY($1::text[]) AND retired_at IS NULL`, [
      ck.removed.map((r) => r.id),
    ]);
  }
}

/** A change that writes its rows: added, changed or revived. */
type Writing = ProviderChange & { writes: ProviderWrites };

/** `batches`: how many rows go in one statement (default APPLY_BATCHES; tests cut them small). */
export async function applyProviders(client: Queryable, plan: Plan, batches: ApplyBatches = APPLY_BATCHES): Promise<void> {
  const of = <K extends ProviderChange['kind']>(kind: K) => plan.providers.filter((p): p is ProviderChange & { kind: K } => p.kind === kind);
  const added = of('added');
  const updated: Writing[] = [...of('changed'), ...of('revived')];
  const revived = of('revived').map((p) => p.slug);
  const retired = of('retired').map((p) => p.slug);

  await sendJsonBatches(lazy(added, (p) => p.writes.provider), batches.providers, (rows) =>
    client.query(
      `INSERT INTO connector_providers (provider_slug, display_name, description, auth_mode, docs_url, status, manifest_path, manifest_digest, manifest,
                                        source_sha256, source_tree)
       SELECT provider_slug, display_name, description, auth_mode, docs_url, status, manifest_path, manifest_digest, manifest, source_sha256, source_tree
         FROM jsonb_to_recordset($1::jsonb)
           AS r(provider_slug text, display_name text, description text, auth_mode text, docs_url text, status text, manifest_path text,
                manifest_digest text, manifest jsonb, source_sha256 text, source_tree text)`,
      [rows],
    ),
  );

  if (updated.length > 0) {
    // A revived provider starts over as a draft: its old approval is of a connector that was gone.
    await sendJsonBatches(lazy(updated, (p) => ({ ...p.writes.provider, revived: p.kind === 'revived' })), batches.providers, (rows) => client.query(
      `UPDATE connector_providers AS p SET
          display_name = r.display_name, description = r.description, auth_mode = r.auth_mode, docs_url = r.docs_url,
          status = r.status, manifest_path = r.manifest_path, manifest_digest = r.manifest_digest, manifest = r.manifest,
          source_sha256 = r.source_sha256, source_tree = r.source_tree,
          approved_digest   = CASE WHEN r.revived THEN NULL ELSE p.approved_digest END,
          approved_manifest = CASE WHEN r.revived THEN NULL ELSE p.approved_manifest END,
          approved_at       = CASE WHEN r.revived THEN NULL ELSE p.approved_at END,
          approved_by       = CASE WHEN r.revived THEN NULL ELSE p.approved_by END,
          retired_at = NULL, updated_at = now()
         FROM jsonb_to_recordset($1::jsonb)
           AS r(provider_slug text, display_name text, description text, auth_mode text, docs_url text, status text, manifest_path text,
                manifest_digest text, manifest jsonb, source_sha256 text, source_tree text, revived boolean)
        WHERE p.provider_slug = r.provider_slug`,
      [rows],
    ));
    if (revived.length > 0) {
      await client.query(
        `UPDATE kpi_mappings SET approved_at = NULL, approved_by = NULL, updated_at = now()
          WHERE provider_slug = ANY($1::text[]) AND approved_at IS NOT NULL`,
        [revived],
      );
      // The approved file list goes with the approval it belonged to.
      await client.query(`DELETE FROM connector_approved_files WHERE provider_slug = ANY($1::text[])`, [revived]);
    }
  }

  if (retired.length > 0) {
    await client.query(
      `UPDATE connector_providers SET status = 'retired', retired_at = now(), updated_at = now()
        WHERE provider_slug = ANY($1::text[]) AND status <> 'retired'`,
      [retired],
    );
  }

  const touched = [...added, ...updated];
  if (touched.length > 0) await applyChildren(client, plan, touched, batches);
}

/**
 * Writes the plan's bookkeeping of the providers it leaves alone (plan.source_updates), so the
 * next sync can skip them. Not content: updated_at is left alone. Returns the rows updated.
 * Touches only source_sha256 and source_tree of those providers.
 */
export async function applySourceHashes(client: Queryable, plan: Plan, batches: ApplyBatches = APPLY_BATCHES): Promise<number> {
  let updated = 0;
  await sendJsonBatches(plan.source_updates, batches.rows, async (batch) => {
    const { rowCount } = await client.query(
      `UPDATE connector_providers AS p SET source_sha256 = r.source_sha256, source_tree = r.source_tree
         FROM jsonb_to_recordset($1::jsonb) AS r(slug text, source_sha256 text, source_tree text)
        WHERE p.provider_slug = r.slug AND (p.source_sha256, p.source_tree) IS DISTINCT FROM (r.source_sha256, r.source_tree)`,
      [batch],
    );
    updated += rowCount ?? 0;
  });
  return updated;
}

/** Child rows of added, changed and revived providers: delete the removed, upsert the rest. */
async function applyChildren(client: Queryable, plan: Plan, touched: Writing[], batches: ApplyBatches): Promise<void> {
  const removed = { scopes: [[], []] as string[][], kpis: [[], [], []] as string[][], secrets: [[], []] as string[][] };
  for (const p of plan.providers) {
    // An added provider removes nothing (and its rows are made only when read: plan.ts addedChange).
    if (p.kind === 'added') continue;
    for (const s of p.scopes.removed) removed.scopes[0]!.push(p.slug), removed.scopes[1]!.push(s.name);
    for (const k of p.kpi_mappings.removed) removed.kpis[0]!.push(p.slug), removed.kpis[1]!.push(k.raw_metric), removed.kpis[2]!.push(k.core_kpi);
    for (const s of p.secrets.removed) removed.secrets[0]!.push(p.slug), removed.secrets[1]!.push(s.key_name);
  }
  if (removed.scopes[0]!.length > 0) {
    await client.query(
      `DELETE FROM connector_scopes AS s USING unnest($1::text[], $2::text[]) AS r(slug, name)
        WHERE s.provider_slug = r.slug AND s.name = r.name`,
      removed.scopes,
    );
  }
  if (removed.kpis[0]!.length > 0) {
    await client.query(
      `DELETE FROM kpi_mappings AS k USING unnest($1::text[], $2::text[], $3::text[]) AS r(slug, raw_metric, core_kpi)
        WHERE k.provider_slug = r.slug AND k.raw_metric = r.raw_metric AND k.core_kpi = r.core_kpi`,
      removed.kpis,
    );
  }
  if (removed.secrets[0]!.length > 0) {
    await client.query(
      `DELETE FROM connector_secrets AS s USING unnest($1::text[], $2::text[]) AS r(slug, key_name)
        WHERE s.provider_slug = r.slug AND s.key_name = r.key_name`,
      removed.secrets,
    );
  }

  // Rows are made as they are sent, one batch at a time (json-batches.ts).
  await sendJsonBatches(childRows(touched, (w) => w.scopes), batches.rows, (rows) =>
    client.query(
      `INSERT INTO connector_scopes AS s (provider_slug, name, description, requires_firearm, firearm_type, access, position)
       SELECT slug, name, description, requires_firearm, firearm_type, access, position
         FROM jsonb_to_recordset($1::jsonb) AS r(slug text, name text, description text, requires_firearm boolean, firearm_type text, access text, position int)
       ON CONFLICT (provider_slug, name) DO UPDATE SET
         description = EXCLUDED.description, requires_firearm = EXCLUDED.requires_firearm,
         firearm_type = EXCLUDED.firearm_type, access = EXCLUDED.access, position = EXCLUDED.position, updated_at = now()
       WHERE (s.description, s.requires_firearm, s.firearm_type, s.access, s.position)
             IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.requires_firearm, EXCLUDED.firearm_type, EXCLUDED.access, EXCLUDED.position)`,
      [rows],
    ),
  );
  // A mapping whose aggregation changed loses its approval: the operator approved another rule.
  await sendJsonBatches(childRows(touched, (w) => w.kpi_mappings), batches.rows, (rows) =>
    client.query(
      `INSERT INTO kpi_mappings AS k (provider_slug, raw_metric, core_kpi, aggregation, position)
       SELECT slug, raw_metric, core_kpi, aggregation, position
         FROM jsonb_to_recordset($1::jsonb) AS r(slug text, raw_metric text, core_kpi text, aggregation text, position int)
       ON CONFLICT (provider_slug, raw_metric, core_kpi) DO UPDATE SET
         aggregation = EXCLUDED.aggregation, position = EXCLUDED.position, updated_at = now(),
         approved_at = CASE WHEN k.aggregation = EXCLUDED.aggregation THEN k.approved_at END,
         approved_by = CASE WHEN k.aggregation = EXCLUDED.aggregation THEN k.approved_by END
       WHERE (k.aggregation, k.position) IS DISTINCT FROM (EXCLUDED.aggregation, EXCLUDED.position)`,
      [rows],
    ),
  );
  await sendJsonBatches(childRows(touched, (w) => w.secrets), batches.rows, (rows) =>
    client.query(
      `INSERT INTO connector_secrets AS s (provider_slug, key_name, label, description, optional, position)
       SELECT slug, key_name, label, description, optional, position
         FROM jsonb_to_recordset($1::jsonb) AS r(slug text, key_name text, label text, description text, optional boolean, position int)
       ON CONFLICT (provider_slug, key_name) DO UPDATE SET
         label = EXCLUDED.label, description = EXCLUDED.description, optional = EXCLUDED.optional,
         position = EXCLUDED.position, updated_at = now()
       WHERE (s.label, s.description, s.optional, s.position)
             IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.description, EXCLUDED.optional, EXCLUDED.position)`,
      [rows],
    ),
  );
}

/** Each change's rows of one table with its slug and position (the row's index), made one change at a time. */
function* childRows<R extends object>(touched: Writing[], rowsOf: (w: ProviderWrites) => R[]): Generator<R & { slug: string; position: number }> {
  for (const p of touched) {
    let position = 0;
    for (const r of rowsOf(p.writes)) yield { slug: p.slug, position: position++, ...r };
  }
}

/** `items` mapped by `fn` one at a time, as they are consumed. */
function* lazy<T, R>(items: readonly T[], fn: (item: T) => R): Generator<R> {
  for (const item of items) yield fn(item);
}
