/**
 * `npm run soak -- [--connectors N] [--minutes M] [--json]`, defined once (SOAK) and parsed by the
 * CLI's parser (pipeline/cli/command-line.ts): the same synopsis in every usage error, the closest
 * flag for a misspelt one, --help listing each flag, exit 2. The numbers are checked here. Pure.
 */
import { defineCommand, parseCommandLine } from '../cli/command-line.ts';
import { UsageError } from '../cli/errors.ts';

export const SOAK = defineCommand({
  name: 'soak',
  program: 'npm run soak --',
  summary:
    'Runs a real npm start on a copy of the repository with N synthetic connectors and, for M minutes, edits, adds and removes connectors, sampling its RSS. Passes when plan then reports no changes and the RSS did not grow after the first minute.',
  flags: {
    connectors: { type: 'string', value: 'N', help: 'synthetic connectors to add (default 2000)' },
    minutes: { type: 'string', value: 'M', help: 'minutes of changes, a positive number (default 5)' },
    json: { type: 'boolean', help: 'print the figures as one JSON line' },
  },
  noArgsHint: 'everything it takes is a flag.',
  notes: 'Not part of npm test. DATABASE_URL is ignored: the factory runs on its own embedded registry in a temp dir.',
  exitCodes: 'Exit codes: 0 passed, 1 failed (plan not clean, RSS grew, unclean stop) or could not run, 2 usage error.',
});

export interface SoakArgs {
  connectors: number;
  minutes: number;
  json: boolean;
}

/** The soak's flags to its options; a bad flag or value is a UsageError (exit 2). */
export function parseSoakArgs(argv: string[]): SoakArgs {
  const { values } = parseCommandLine(SOAK, argv);
  const connectors = Number(values.connectors ?? 2000);
  const minutes = Number(values.minutes ?? 5);
  if (!Number.isInteger(connectors) || connectors < 1 || !(minutes > 0)) {
    throw new UsageError('--connectors must be a positive integer and --minutes a positive number');
  }
  return { connectors, minutes, json: values.json ?? false };
}
