/**
 * A PR's plan: against the registry when a URL is given (pr-comment's REGISTRY_DATABASE_URL), in a read-only
 * transaction on a read-only session (the database itself refuses any write), else against an
 * empty registry. The connection string never reaches a message.
 */
import pg from 'pg';
import { inTransaction, redactUrl } from '../registry/db.ts';
import { READ_ONLY } from '../sentinel/connection.ts';
import { planRegistry, type Planned } from '../sentinel/planning.ts';
import type { ValidationResult } from '../validate/types.ts';
import type { PlanOutcome } from './check.ts';

/**
 * `root` is the tree being checked (pr-comment's copy of the PR head): a key name the registry
 * gives to another connector (pipeline/sentinel/key-owners.ts) is reported at its line there, and
 * the connector claiming it is left out of the plan, exactly as `sync` would refuse it.
 */
export async function planAgainstRegistry(url: string | null, full: ValidationResult, root = '.'): Promise<PlanOutcome> {
  if (!url) return outcome(await planRegistry({ validation: full, repoRoot: root }), full);

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
    return outcome(await planRegistry({ validation: full, repoRoot: root, read: (fn) => inTransaction(client, fn, { begin: READ_ONLY }) }), full);
  } catch (err) {
    const reason = redactUrl((err as Error).message || String(err), url, 'REGISTRY_DATABASE_URL');
    return { ok: false, message: `the registry could not be read (${reason}); check the REGISTRY_DATABASE_URL secret` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** The plan, with what only the registry knows is wrong (a key name taken) as problems of their own. */
function outcome(planned: Planned | undefined, full: ValidationResult): PlanOutcome {
  // A PR's validation skips nothing as unchanged, so nothing it planned can have moved.
  if (!planned?.plan) return { ok: false, message: 'the registry changed while it was read; run the check again' };
  const problems = planned.validation.errors.filter((e) => !full.errors.includes(e));
  return problems.length > 0 ? { ok: true, plan: planned.plan, problems } : { ok: true, plan: planned.plan };
}
