/**
 * The runner's side of pr-check through @actions/core: notices and warnings as workflow
 * commands, the job summary ($GITHUB_STEP_SUMMARY) and step outputs ($GITHUB_OUTPUT).
 */
import * as core from '@actions/core';
import type { ActionsIO } from './pr-check.ts';

export function actionsIO(write: (text: string) => void = (t) => process.stdout.write(t)): ActionsIO {
  return {
    print: (line) => write(`${line}\n`),
    notice: (message) => core.notice(message),
    warning: (message) => core.warning(message),
    async writeSummary(markdown) {
      // core.summary throws without GITHUB_STEP_SUMMARY; outside Actions the caller prints instead.
      if (!process.env.GITHUB_STEP_SUMMARY) return false;
      await core.summary.addRaw(markdown, true).write();
      return true;
    },
    setOutput(name, value) {
      // Without the outputs file core would fall back to the deprecated ::set-output command.
      if (process.env.GITHUB_OUTPUT) core.setOutput(name, value);
    },
  };
}
