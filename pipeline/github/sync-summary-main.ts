/**
 * `tsx pipeline/github/sync-summary-main.ts SYNC_JSON`: the sync job's summary step. Reads what
 * `npm run connectors -- sync --json` printed and appends it, rendered, to $GITHUB_STEP_SUMMARY
 * (or prints it outside Actions). Runs after a failed sync too (`if: always()`), so a missing or
 * unreadable file is reported in the summary rather than failing a second step.
 */
import { readFile } from 'node:fs/promises';
import * as core from '@actions/core';
import { summariseSyncOutput } from './sync-output.ts';

async function main(argv: string[]): Promise<number> {
  const [file] = argv;
  if (!file || argv.length > 1) {
    process.stderr.write('usage: tsx pipeline/github/sync-summary-main.ts SYNC_JSON\n');
    return 2;
  }
  const text = await readFile(file, 'utf8').catch(() => null);
  const markdown = summariseSyncOutput(text, process.env.GITHUB_SHA ?? null);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown, true).write();
  else process.stdout.write(markdown);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
