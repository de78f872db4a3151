/**
 * Fresh planner statistics after a sync that changed many rows. PGlite has no autovacuum, so
 * without this its statistics stay those of an empty registry forever; on PostgreSQL autovacuum
 * catches up only later. Measured at 10,000 connectors: the site's list query spent 6.9 of its
 * 7.4 ms JIT-compiling a plan made for stale statistics, and ran in 0.59 ms after ANALYZE.
 * Runs after COMMIT (outside the sync lock); a failure is logged, never fails the sync.
 */
import type { Plan } from './types.ts';
import type { Queryable } from '../registry/db.ts';


/** The tables connector_list (the site's list read model) is made from. */
const LISTED_FROM = new Set(['connector_providers', 'connector_scopes', 'connector_secrets']);

/** Above this many changed rows a sync refreshes the statistics of the tables it touched. */
export const ANALYZE_ABOVE_ROWS = 1000;

/** The registry tables a sync changed, with how many rows each. */
export function changedRows(plan: Plan, sourceHashes: number, filesRecorded = 0): Record<string, number> {
  const c = plan.counts;
  const n = (x: { added: number; changed: number; removed: number }) => x.added + x.changed + x.removed;
  const p = c.providers;
  return {
    connector_providers: p.added + p.changed + p.retired + p.revived + sourceHashes,
    connector_scopes: n(c.scopes),
    kpi_mappings: n(c.kpi_mappings),
    connector_secrets: n(c.secrets),
    firearm_types: n(c.firearm_types),
    core_kpis: n(c.core_kpis),
    // At least one row per recorded provider (its manifest.yaml).
    connector_files: filesRecorded,
  };
}

/**
 * ANALYZE the touched tables when the sync changed more than ANALYZE_ABOVE_ROWS rows or was the
 * first to fill the registry (nothing unchanged, something added). Returns the tables analyzed.
 */
export async function analyzeAfterSync(
  client: Queryable, plan: Plan, sourceHashes: number, log?: (line: string) => void, filesRecorded = 0,
): Promise<string[]> {
  const rows = changedRows(plan, sourceHashes, filesRecorded);
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const first = plan.counts.providers.unchanged === 0 && plan.counts.providers.added > 0;
  if (total <= ANALYZE_ABOVE_ROWS && !first) return [];
  const tables = Object.keys(rows).filter((t) => rows[t]! > 0);
  if (tables.length === 0) return [];
  try {
    await client.query(`ANALYZE ${tables.join(', ')}`);
    // The site's list pages by index-only scans of connector_list (written by triggers at this
    // sync's commit), which skip the table only where its pages are marked all-visible: VACUUM
    // marks them (PGlite has no autovacuum; PostgreSQL's comes later). About 0.1 s per 100,000.
    if (tables.some((t) => LISTED_FROM.has(t))) await client.query('VACUUM (ANALYZE) connector_list');
    return tables;
  } catch (err) {
    log?.(`sync: ANALYZE after the sync failed (${(err as Error).message}); the sync itself is committed`);
    return [];
  }
}
