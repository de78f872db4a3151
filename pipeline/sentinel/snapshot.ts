/**
 * Reads what the plan needs from the registry, cheaply: every provider's slug, status and digests
 * (one narrow query), then child rows only for the providers whose digest changed or that come
 * back. A no-op sync of 10,000 connectors therefore reads 10,000 short rows and nothing else.
 * Read-only; the caller chooses the transaction.
 */
import { registryHasSchema } from '../registry/migrate.ts';
import { knownFromHeads, lastFingerprint, sourceColumns } from './known-sources.ts';
import { emptySnapshot, providersNeedingDetail } from './plan.ts';
import type { CatalogEntrySnapshot, KpiMappingRow, ProviderDetail, ProviderHead, RegistrySnapshot, ScopeRow, SecretRow } from './types.ts';
import type { ValidConnector } from '../validate/types.ts';
import type { KnownSources } from '../validate/unchanged.ts';
import type pg from 'pg';
import { inTransaction, type Queryable } from '../registry/db.ts';
import { READ_ONLY } from './connection.ts';


/** Provider rows read earlier, with the registry generation they were read at (registry_generation). */
export interface ReadHeads {
  rows: ProviderHead[];
  generation: string;
}

/**
 * `earlier`: the provider rows plan/sync read before validating (readRegistryMemory); used again
 * when the registry's generation shows no write was committed since, so a sync of 100,000
 * connectors reads their rows once, not twice. Any commit since, by anyone: read again.
 */
export async function readSnapshot(
  client: Queryable, desired: Pick<ValidConnector, 'slug' | 'digest'>[], earlier?: ReadHeads, only?: string[],
): Promise<RegistrySnapshot> {
  if (!(await registryHasSchema(client))) return emptySnapshot();
  // `only`: the rows of these providers alone (a sync of a few changed folders on the baseline, sync.ts).
  const providers = only ? await readHeads(client, only)
    : earlier && (await readGeneration(client)) === earlier.generation ? earlier.rows : await readHeads(client);
  const firearm_types = await readCatalog(client, 'firearm_types', 'NULL::text');
  const core_kpis = await readCatalog(client, 'core_kpis', 'unit');
  const needed = providersNeedingDetail(desired, providers);
  return { has_schema: true, providers, details: await readDetails(client, needed), firearm_types, core_kpis };
}

/** Every provider's slug, status, digests and bookkeeping: one narrow row each. */
async function readHeads(client: Queryable, only?: string[]): Promise<ProviderHead[]> {
  // An older registry (plan and pr-check never migrate) has no source hashes or trees: they read as null.
  const columns = await sourceColumns(client);
  const source = columns.hashes ? 'source_sha256' : 'NULL::text';
  const tree = columns.trees ? 'source_tree' : 'NULL::text';
  const { rows } = await client.query<ProviderHead>(
    `SELECT provider_slug AS slug, display_name, auth_mode, status, manifest_digest, approved_digest, ${source} AS source_sha256,
            ${tree} AS source_tree
       FROM connector_providers${only ? ' WHERE provider_slug = ANY($1::text[])' : ''}`,
    only ? [only] : [],
  );
  return rows;
}

/** The registry generation (migration 1770163200000), or null on a registry older than it. */
async function readGeneration(client: Queryable): Promise<string | null> {
  const { rows } = await client.query<{ generation: string | null }>(
    `SELECT CASE WHEN to_regclass('registry_generation') IS NULL THEN NULL
                 ELSE (SELECT generation::text FROM registry_generation) END AS generation`,
  );
  return rows[0]?.generation ?? null;
}

/** What plan/sync read of the registry before validating (read-only, one consistent snapshot). */
export interface RegistryMemory {
  /** For the validator (known-sources.ts); undefined when nothing can be skipped. */
  known?: KnownSources;
  /** Every provider row, to be used again by readSnapshot when nothing was committed since. */
  heads?: ReadHeads;
}

/**
 * The validator's known sources and the provider rows, from one read of connector_providers in one
 * REPEATABLE READ transaction with the generation. What readKnownSources gives, plus the rows.
 */
export async function readRegistryMemory(client: pg.ClientBase): Promise<RegistryMemory> {
  return inTransaction(client, async (tx) => {
    if (!(await registryHasSchema(tx))) return {};
    const columns = await sourceColumns(tx);
    const fingerprint = columns.hashes ? await lastFingerprint(tx) : null;
    const generation = await readGeneration(tx);
    const rows = await readHeads(tx);
    return {
      known: fingerprint === null ? undefined : knownFromHeads(fingerprint, rows),
      heads: generation === null ? undefined : { rows, generation },
    };
  }, { begin: READ_ONLY });
}

async function readCatalog(client: Queryable, table: 'firearm_types' | 'core_kpis', unit: string): Promise<CatalogEntrySnapshot[]> {
  const { rows } = await client.query<CatalogEntrySnapshot>(
    `SELECT id, label, description, ${unit} AS unit, retired_at IS NOT NULL AS retired FROM ${table} ORDER BY id`,
  );
  return rows;
}

async function readDetails(client: Queryable, slugs: string[]): Promise<Record<string, ProviderDetail>> {
  const details: Record<string, ProviderDetail> = {};
  if (slugs.length === 0) return details;
  const [providers, scopes, kpis, secrets] = [
    await client.query<{ slug: string; description: string | null; docs_url: string | null }>(
      `SELECT provider_slug AS slug, description, docs_url FROM connector_providers WHERE provider_slug = ANY($1::text[])`,
      [slugs],
    ),
    await client.query<ScopeRow & { slug: string }>(
      `SELECT provider_slug AS slug, name, description, requires_firearm, firearm_type, access
         FROM connector_scopes WHERE provider_slug = ANY($1::text[]) ORDER BY provider_slug, position`,
      [slugs],
    ),
    await client.query<KpiMappingRow & { slug: string }>(
      `SELECT provider_slug AS slug, raw_metric, core_kpi, aggregation
         FROM kpi_mappings WHERE provider_slug = ANY($1::text[]) ORDER BY provider_slug, position`,
      [slugs],
    ),
    await client.query<SecretRow & { slug: string }>(
      `SELECT provider_slug AS slug, key_name, label, description, optional
         FROM connector_secrets WHERE provider_slug = ANY($1::text[]) ORDER BY provider_slug, position`,
      [slugs],
    ),
  ];
  for (const p of providers.rows) details[p.slug] = { description: p.description, docs_url: p.docs_url, scopes: [], kpi_mappings: [], secrets: [] };
  for (const { slug, ...row } of scopes.rows) details[slug]?.scopes.push(row);
  for (const { slug, ...row } of kpis.rows) details[slug]?.kpi_mappings.push(row);
  for (const { slug, ...row } of secrets.rows) details[slug]?.secrets.push(row);
  return details;
}
