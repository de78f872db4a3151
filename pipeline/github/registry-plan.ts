/**
 * A PR's plan: against the registry when a URL is given (pr-comment's REGISTRY_DATABASE_URL), in a read-only
 * transaction on a read-only session (the database itself refuses any write), else against an
 * empty registry. The connection string never reaches a message.
 */
import pg from 'pg';
import { inTransaction, redactUrl } from '../registry/db.ts';
import { computePlan, emptySnapshot } from '../sentinel/plan.ts';
import { declaredKeyNames, keyConflicts, readKeyOwners, refuseKeyConflicts } from '../sentinel/key-owners.ts';
import { readSnapshot } from '../sentinel/snapshot.ts';
import type { ValidationResult } from '../validate/types.ts';
import type { PlanOutcome } from './check.ts';

/**
 * `root` is the tree being checked (pr-comment's copy of the PR head): a key name the registry
 * gives to another connector (pipeline/sentinel/key-owners.ts) is reported at its line there, and
 * the connector claiming it is left out of the plan, exactly as `sync` would refuse it.
 */
export async function planAgainstRegistry(url: string | null, full: ValidationResult, root = '.'): Promise<PlanOutcome> {
  const desired = { connectors: full.connectors, catalog: full.catalog };
  if (!url) return { ok: true, plan: computePlan(desired, emptySnapshot()) };

  const client = new pg.Client({
    connectionString: url,
    options: '-c default_transaction_read_only=on',
    connectionTimeoutMillis: 15_000,
    application_name: 'connector-factory pr-comment',
  });
  // A dropped connection after we are done must not crash the check.
  client.on('error', () => {});
  try {
    await client.connect();
    const { snapshot, conflicts } = await inTransaction(
      client,
      async (tx) => ({
        snapshot: await readSnapshot(tx, full.connectors),
        conflicts: keyConflicts(full.connectors, await readKeyOwners(tx, declaredKeyNames(full.connectors))),
      }),
      { begin: 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' },
    );
    if (conflicts.length === 0) return { ok: true, plan: computePlan(desired, snapshot) };
    const refused = await refuseKeyConflicts(full, conflicts, root);
    const problems = refused.errors.filter((e) => !full.errors.includes(e));
    return { ok: true, plan: computePlan({ connectors: refused.connectors, catalog: full.catalog }, snapshot), problems };
  } catch (err) {
    const reason = redactUrl((err as Error).message || String(err), url, 'REGISTRY_DATABASE_URL');
    return { ok: false, message: `the registry could not be read (${reason}); check the REGISTRY_DATABASE_URL secret` };
  } finally {
    await client.end().catch(() => {});
  }
}
