/**
 * One sentinel sync of the generated tree, in a fresh process, through the same registry opening
 * as the CLI (openRegistry with the database URL). Timed from the start of validation to the end
 * of runSync (its validation included, which skips manifests the registry already synced), with two diagnostics for the sentinel's owner: how much of it
 * was validation, and the slowest SQL statements.
 */
import type pg from 'pg';
import { secondsSince } from '../files.ts';

export interface StatementTime {
  sql: string;
  seconds: number;
}

export interface SyncOutcome {
  seconds: number;
  /** Null when the sync ran with its own validator, untimed (timeValidation false). */
  validate_seconds: number | null;
  /** Manifests the validator accepted as unchanged since the last sync, without parsing. */
  skipped_unchanged: number;
  /** Tables ANALYZEd after the commit (counted in seconds). */
  analyzed: string[];
  outcome: string;
  providers: { added: number; changed: number; unchanged: number; retired: number; revived: number } | null;
  slowest_statements: StatementTime[];
}

/**
 * `timeValidation` (default true) wraps runSync's validator to time it; a sync given a validator
 * of its caller's never takes the few-changed-folders path (it cannot know the validator honours
 * `paths`), so the no-op and one-change figures run without it, as the CLI and npm start do.
 */
export async function syncTask(input: { databaseUrl: string; repoRoot: string; timeValidation?: boolean }): Promise<SyncOutcome> {
  const { openRegistry } = await import('../../registry/connect.ts');
  const { runSync } = await import('../../sentinel/index.ts');
  const { validateRepo } = await import('../../validate/index.ts');
  const registry = await openRegistry({ databaseUrl: input.databaseUrl });
  const statements: StatementTime[] = [];
  try {
    const start = performance.now();
    // runSync's own validation (with the unchanged-file fast path), timed so its share can be reported.
    let validateSeconds = 0;
    const { validation, result } = await runSync({
      db: timedPool(registry.pool, statements),
      repoRoot: input.repoRoot,
      actor: 'bench',
      validate: input.timeValidation === false ? undefined : async (args) => {
        const t = performance.now();
        const r = await validateRepo({ repoRoot: args.repoRoot, known: args.known });
        validateSeconds += secondsSince(t);
        return r;
      },
    });
    const seconds = secondsSince(start);
    if (!validation.ok) throw new Error(`the sync refused the generated tree: ${validation.errors.length} validation errors`);
    return {
      seconds,
      validate_seconds: input.timeValidation === false ? null : validateSeconds,
      skipped_unchanged: validation.skipped_unchanged ?? 0,
      analyzed: result?.analyzed ?? [],
      outcome: result?.outcome ?? 'unknown',
      providers: result?.plan.counts.providers ?? null,
      slowest_statements: statements.sort((a, b) => b.seconds - a.seconds).slice(0, 4),
    };
  } finally {
    await registry.close();
  }
}

/** The pool, with every query of its clients timed into `sink` (a handful per sync: negligible cost). */
function timedPool(pool: pg.Pool, sink: StatementTime[]): Pick<pg.Pool, 'connect'> {
  // runSync connects more than once and the pool hands back the same client: time it only once.
  const wrapped = new WeakSet<pg.PoolClient>();
  return {
    connect: (async () => {
      const client = await pool.connect();
      if (wrapped.has(client)) return client;
      wrapped.add(client);
      const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
      const timed = async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await query(...args);
        } finally {
          const text = typeof args[0] === 'string' ? args[0] : ((args[0] as { text?: string })?.text ?? '?');
          sink.push({ sql: text.replace(/\s+/g, ' ').trim().slice(0, 90), seconds: secondsSince(start) });
        }
      };
      return Object.assign(client, { query: timed });
    }) as pg.Pool['connect'],
  };
}
