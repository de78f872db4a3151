/**
 * `npm run bench -- [--connectors N] [--json] [--runs K] [--database-url URL] [--seed S]
 *                   [--site-seconds S] [--vault-writes W] [--keep]`
 * Defined once (BENCH) and parsed by the CLI's parser (pipeline/cli/command-line.ts), so a misspelt
 * flag gets the closest one, every usage error ends with the synopsis, and --help lists each flag.
 * The numbers are checked here, after parsing. Pure: the environment is an argument.
 */
import { defineCommand, parseCommandLine } from '../cli/command-line.ts';
import { UsageError } from '../cli/errors.ts';
import { DEFAULT_SEED } from './generate.ts';
import type { BenchOptions } from './run.ts';

export const BENCH = defineCommand({
  name: 'bench',
  program: 'npm run bench --',
  summary: 'Generates N realistic connectors in a temp tree (a git repository), measures each figure in a fresh child process and prints a table.',
  flags: {
    connectors: { type: 'string', value: 'N', help: 'connectors to generate (default 10000; 100_000 is read as 100000)' },
    json: { type: 'boolean', help: 'end the output with one JSON line holding every figure' },
    runs: { type: 'string', value: 'K', help: 'runs per figure; each figure is the median (default 3)' },
    'database-url': {
      type: 'string',
      value: 'URL',
      help: "a PostgreSQL server (default DATABASE_URL); the bench creates and drops its own fresh databases there and never writes into URL's database. Without it: embedded.",
    },
    seed: { type: 'string', value: 'S', help: `generator seed (default ${DEFAULT_SEED}); the same seed gives the same tree` },
    'site-seconds': { type: 'string', value: 'S', help: 'length of each site load phase per page, in seconds, up to 60 (default 5)' },
    'vault-writes': { type: 'string', value: 'W', help: 'key writes per vault run (default 2000)' },
    keep: { type: 'boolean', help: 'keep the generated temp tree' },
  },
  noArgsHint: 'everything it takes is a flag.',
  notes: 'Targets are reported, never enforced: a missed one is shown in the table, not an exit code.',
  exitCodes: 'Exit codes: 0 measured (a missed target included), 1 the bench could not run, 2 usage error.',
});

/** What runBench takes, plus the flags only the entry point reads. */
export type BenchArgs = Omit<BenchOptions, 'log' | 'keep'> & { keep: boolean; json: boolean };

/** The bench's flags and DATABASE_URL to its options; a bad flag or value is a UsageError (exit 2). */
export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  const { values } = parseCommandLine(BENCH, argv);
  const int = (flag: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) throw new UsageError(`--${flag} must be an integer ≥ ${min}, got "${raw}"`);
    return n;
  };
  const siteSeconds = values['site-seconds'] === undefined ? 5 : Number(values['site-seconds']);
  if (!(siteSeconds > 0 && siteSeconds <= 60)) {
    throw new UsageError(`--site-seconds must be a number of seconds from 0 to 60, got "${values['site-seconds']}"`);
  }
  const databaseUrl = values['database-url'] ?? (env.DATABASE_URL || undefined);
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new UsageError('--database-url (or DATABASE_URL) must be a postgres:// URL');
  }
  return {
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
