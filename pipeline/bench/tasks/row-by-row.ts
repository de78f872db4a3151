/**
 * row_by_row_s: the same cold sync done the way the original sentinel did it: validate everything,
 * then one INSERT (one round trip) per row, all in one transaction, into an empty registry.
 * It is the comparison the set-based sentinel is measured against, not a way to sync.
 */
import pg from 'pg';
import { inTransaction } from '../../registry/db.ts';
import { secondsSince } from '../files.ts';
import { countRows, insertStatement, registryRows } from '../rows.ts';

/** Above this many connectors the bench reports row_by_row_s as null, with the reason (it would take most of the bench's time). */
export const ROW_BY_ROW_MAX_CONNECTORS = 20_000;

export interface RowByRowOutcome {
  seconds: number;
  /** The part spent sending the rows (after validation). */
  insert_seconds: number;
  rows: number;
}

export async function rowByRowTask(input: { databaseUrl: string; repoRoot: string }): Promise<RowByRowOutcome> {
  const { validateRepo } = await import('../../validate/index.ts');
  const client = new pg.Client({ connectionString: input.databaseUrl });
  await client.connect();
  try {
    const start = performance.now();
    const startedAt = new Date();
    const validation = await validateRepo({ repoRoot: input.repoRoot });
    if (!validation.ok) throw new Error(`the generated tree did not validate (${validation.errors.length} errors)`);
    // A validation without registry knowledge parses every manifest: the filter only narrows the type.
    const tables = registryRows(validation.catalog, validation.connectors.filter((c) => c.kind === 'parsed'));
    const insertStart = performance.now();
    await inTransaction(client, async (tx) => {
      for (const t of tables) {
        const sql = insertStatement(t);
        for (const row of t.rows) await tx.query(sql, row);
      }
      await tx.query(
        `INSERT INTO registry_syncs (started_at, actor, outcome, counts) VALUES ($1, 'bench row-by-row', 'applied', $2)`,
        [startedAt, JSON.stringify({ providers: { added: validation.connectors.length } })],
      );
    });
    return { seconds: secondsSince(start), insert_seconds: secondsSince(insertStart), rows: countRows(tables) };
  } finally {
    await client.end();
  }
}
