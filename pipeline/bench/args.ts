/**
 * `npm run bench -- [--connectors N] [--json] [--runs K] [--database-url URL] [--seed S]
 *                   [--site-seconds S] [--vault-writes W] [--keep]`
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEED } from './generate.ts';
import type { BenchOptions } from './run.ts';

export const USAGE = `Usage: npm run bench -- [--connectors N] [--json] [--runs K] [--database-url URL]
                      [--seed S] [--site-seconds S] [--vault-writes W] [--keep]

  --connectors N     connectors to generate (default 10000)
  --json             end the output with one JSON line holding every figure
  --runs K           runs per figure; each figure is the median (default 3)
  --database-url URL a PostgreSQL server (default DATABASE_URL); the bench creates and drops its own
                     fresh databases there and never writes into URL's database. Without it: embedded.
  --seed S           generator seed (default ${DEFAULT_SEED}); the same seed gives the same tree
  --site-seconds S   length of each site load phase per page (default 5)
  --vault-writes W   key writes per vault run (default 2000)
  --keep             keep the generated temp tree`;

/** What runBench takes, plus the flags only the entry point reads. */
export type BenchArgs = Omit<BenchOptions, 'log' | 'keep'> & { keep: boolean; help: boolean; json: boolean };

export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  let values;
  try {
    values = parseArgs({
      args: argv,
      strict: true,
      options: {
        connectors: { type: 'string' },
        json: { type: 'boolean' },
        runs: { type: 'string' },
        'database-url': { type: 'string' },
        seed: { type: 'string' },
        'site-seconds': { type: 'string' },
        'vault-writes': { type: 'string' },
        keep: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new BenchUsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
  const int = (flag: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new BenchUsageError(`--${flag} must be an integer ≥ ${min}, got "${raw}"`);
    return n;
  };
  const siteSeconds = values['site-seconds'] === undefined ? 5 : Number(values['site-seconds']);
  if (!(siteSeconds > 0 && siteSeconds <= 60)) {
    throw new BenchUsageError(`--site-seconds must be a number of seconds from 0 to 60, got "${values['site-seconds']}"`);
  }
  const databaseUrl = values['database-url'] ?? (env.DATABASE_URL || undefined);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new BenchUsageError('--database-url (or DATABASE_URL) must be a postgres:// URL');
  }
  return {
    help: values.help ?? false,
    json: values.json ?? false,
    connectors: int('connectors', values.connectors, 10_000, 1),
    runs: int('runs', values.runs, 3, 1),
    databaseUrl,
    seed: int('seed', values.seed, DEFAULT_SEED, 0),
    siteSeconds,
    vaultWrites: int('vault-writes', values['vault-writes'], 2000, 1),
    keep: values.keep ?? false,
  };
}
