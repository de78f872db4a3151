/**
 * `npm run bench`: the entry. Reads flags and env once, runs the bench, prints the table (and with
 * --json the final JSON line) on stdout and progress on stderr. Benchmarks report; they do not
 * fail on a missed target, only on bad usage (2) or when the bench itself cannot run (1).
 */
import { helpText, wantsHelp } from '../cli/command-line.ts';
import { exitCodeFor } from '../cli/errors.ts';
import { BENCH, parseBenchArgs } from './args.ts';
import { formatJsonLine, formatTable } from './report.ts';
import { runBench } from './run.ts';

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    process.stdout.write(helpText(BENCH));
    return 0;
  }
  const args = parseBenchArgs(argv);
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(1)} s]: ${line}\n`);
  const report = await runBench({ ...args, log });
  process.stdout.write(`${formatTable(report)}\n`);
  if (args.json) process.stdout.write(`${formatJsonLine(report)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = exitCodeFor(err);
  },
);
