/**
 * The runner's side of pr-check and pr-comment through @actions/core: notices and warnings as
 * workflow commands, the job summary ($GITHUB_STEP_SUMMARY, fitted under GitHub's 1 MiB) and step
 * outputs ($GITHUB_OUTPUT). Every line shows control characters escaped, whatever it quotes.
 */
import { stat } from 'node:fs/promises';
import * as core from '@actions/core';
import { escapeControl } from '../validate/terminal-text.ts';
import { fitSummary } from './fit.ts';

export interface ActionsIO {
  /** Lines on stdout (annotations are workflow commands printed here). */
  print(text: string): void;
  notice(message: string): void;
  warning(message: string): void;
  /** Appends to $GITHUB_STEP_SUMMARY, cut to fit; false when there is none (not in Actions). */
  writeSummary(markdown: string): Promise<boolean>;
  setOutput(name: string, value: string): void;
}

/** Each line on its own, with anything a terminal (or the runner) would obey shown escaped. */
const visibleLines = (text: string) => text.split('\n').map(escapeControl).join('\n');

export function actionsIO(write: (text: string) => void = (t) => process.stdout.write(t)): ActionsIO {
  return {
    print: (text) => write(`${visibleLines(text)}\n`),
    // core escapes % CR LF for the command; the rest is escaped here.
    notice: (message) => core.notice(escapeControl(message)),
    warning: (message) => core.warning(escapeControl(message)),
    async writeSummary(markdown) {
      // core.summary throws without GITHUB_STEP_SUMMARY; outside Actions the caller prints instead.
      const file = process.env.GITHUB_STEP_SUMMARY;
      if (!file) return false;
      const before = await stat(file).then((s) => s.size, () => 0);
      const fitted = fitSummary(markdown, before);
      if (fitted) await core.summary.addRaw(fitted, true).write();
      else core.warning('The job summary was not written: this step already filled the 1 MiB GitHub keeps for it.');
      return true;
    },
    setOutput(name, value) {
      // Without the outputs file core would fall back to the deprecated ::set-output command.
      if (process.env.GITHUB_OUTPUT) core.setOutput(name, value);
    },
  };
}
