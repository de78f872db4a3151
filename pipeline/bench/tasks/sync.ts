/**
 * One sentinel sync of the generated tree, in a fresh process, through the same registry opening
 * as the CLI (openRegistry with the database URL). Timed from the runSync call to its return.
 */
import { secondsSince } from '../files.ts';

export interface SyncOutcome {
  seconds: number;
  outcome: string;
  providers: { added: number; changed: number; unchanged: number; retired: number; revived: number } | null;
}

export async function syncTask(input: { databaseUrl: string; repoRoot: string }): Promise<SyncOutcome> {
  const { openRegistry } = await import('../../registry/connect.ts');
  const { runSync } = await import('../../sentinel/index.ts');
  const registry = await openRegistry({ databaseUrl: input.databaseUrl });
  try {
    const start = performance.now();
    const { validation, result } = await runSync({ db: registry.pool, repoRoot: input.repoRoot, actor: 'bench' });
    const seconds = secondsSince(start);
    if (!validation.ok) throw new Error(`the sync refused the generated tree: ${validation.errors.length} validation errors`);
    return { seconds, outcome: result?.outcome ?? 'unknown', providers: result?.plan.counts.providers ?? null };
  } finally {
    await registry.close();
  }
}
