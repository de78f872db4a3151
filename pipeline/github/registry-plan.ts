/**
 * A PR's plan: against the registry when a URL is given (pr-comment's REGISTRY_DATABASE_URL), in a read-only
 * transaction on a read-only session (the database itself refuses any write), else against an
 * empty registry. The connection string never reaches a message.
 */
import pg from 'pg';
import { computePlan, emptySnapshot } from '../sentinel/plan.ts';
import { declaredKeyNames, keyConflicts, readKeyOwners, refuseKeyConflicts } from '../sentinel/key-owners.ts';
import { readSnapshot } from '../sentinel/snapshot.ts';
import type { ValidationResult } from '../validate/types.ts';
import type { PlanOutcome } from './check.ts';

/** Replaces the URL and its password wherever they appear. */
export function redactUrl(message: string, url: string): string {
  let out = message.split(url).join('<REGISTRY_DATABASE_URL>');
  try {
    const password = decodeURIComponent(new URL(url).password);
    if (password) out = out.split(password).join('***');
  } catch {
    // Not a URL: nothing more to take out than the whole string.
  }
  return out;
}

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
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = await readSnapshot(client, full.connectors);
    const conflicts = keyConflicts(full.connectors, await readKeyOwners(client, declaredKeyNames(full.connectors)));
    await client.query('COMMIT');
    if (conflicts.length === 0) return { ok: true, plan: computePlan(desired, snapshot) };
    const refused = await refuseKeyConflicts(full, conflicts, root);
    const problems = refused.errors.filter((e) => !full.errors.includes(e));
    return { ok: true, plan: computePlan({ connectors: refused.connectors, catalog: full.catalog }, snapshot), problems };
  } catch (err) {
    const reason = redactUrl((err as Error).message || String(err), url);
    return { ok: false, message: `the registry could not be read (${reason}); check the REGISTRY_DATABASE_URL secret` };
  } finally {
    await client.end().catch(() => {});
  }
}
