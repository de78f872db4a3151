/**
 * Reads every registry table through, so a damaged file is found instead of served. A heap file
 * cut short at a page boundary is the treacherous case: a sequential scan simply sees fewer pages
 * and the registry serves half its rows without any error. So each table with a primary key is
 * also read through that index (sequential scans and sorts disabled for the query): the index
 * still points at the rows of the missing pages, and reading them fails with "could not read
 * block". Read-only; one transaction.
 */
import type { Queryable } from './db.ts';

export interface TableReading {
  table: string;
  rows: number | null;
  /** Why the table cannot be read whole, in PostgreSQL's words; null when it can. */
  problem: string | null;
}


const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Every table of the public schema, read through (see above). */
export async function readTablesThrough(client: Queryable): Promise<TableReading[]> {
  const { rows: tables } = await client.query<{ name: string; key: string | null }>(
    `SELECT c.relname AS name,
            (SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
              WHERE i.indrelid = c.oid AND i.indisprimary) AS key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'public' AND c.relkind = 'r'
      ORDER BY c.relname`,
  );
  const readings: TableReading[] = [];
  for (const { name, key } of tables) {
    await client.query('BEGIN READ ONLY');
    try {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quote(name)}`);
      let problem: string | null = null;
      if (key) {
        await client.query('SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexonlyscan = off; SET LOCAL enable_sort = off');
        const { rows: viaKey } = await client.query<{ n: string }>(
          `SELECT count(*)::text AS n FROM (SELECT ${quote(key)} FROM ${quote(name)} ORDER BY ${quote(key)} OFFSET 0) s`,
        );
        if (viaKey[0]!.n !== rows[0]!.n) problem = `its primary key finds ${viaKey[0]!.n} rows, a full read ${rows[0]!.n}`;
      }
      readings.push({ table: name, rows: Number(rows[0]!.n), problem });
    } catch (err) {
      readings.push({ table: name, rows: null, problem: (err as Error).message.split('\n')[0] ?? 'unreadable' });
    } finally {
      await client.query('ROLLBACK').catch(() => undefined);
    }
  }
  return readings;
}
