/**
 * The PR check, run by the `pull_request` job on the PR's own code: validate what the PR touches
 * (plus the cross-file rules), annotate the exact lines, write the job summary and the step outputs,
 * and save the PR pointers for pr-comment. It holds no secret and writes nothing on GitHub: its plan
 * is against an empty registry, and the plan against the registry, in the sticky comment, is
 * pr-comment's job (the default branch's code, see pr-comment.ts). Every edge is passed in, so this
 * file is the orchestration only.
 */
import type { ValidationResult } from '../validate/types.ts';
import type { ActionsIO } from './actions-io.ts';
import type { ChangedFiles } from './changed-files.ts';
import { checkTree, toReport, type PlanOutcome } from './check.ts';
import type { ActionsContext } from './context.ts';
import { reportOutputs } from './outputs.ts';
import type { PrPointers } from './pointers.ts';
import { renderSummary } from './render-summary.ts';
import type { CheckReport } from './report.ts';

export interface PrCheckDeps {
  context: ActionsContext;
  changedFiles(baseSha: string, headSha: string): Promise<ChangedFiles>;
  /** The connector folders among these that exist in the checkout. */
  existing(paths: string[]): string[];
  /** validateRepo over the given connector folders (undefined: all). */
  validate(paths?: string[]): Promise<ValidationResult>;
  /** The plan against an empty registry: this job never reads the registry. */
  plan(full: ValidationResult): Promise<PlanOutcome>;
  /** Saves the PR pointers where pr-comment's job will find them (the artifact); null: nowhere. */
  savePointers: ((pointers: PrPointers) => Promise<void>) | null;
  io: ActionsIO;
  /** Workflow commands for the problems. */
  annotations(result: ValidationResult): string[];
  /** The human lines for the problems, outside Actions. */
  human(result: ValidationResult): string;
}

export interface PrCheckResult {
  exitCode: 0 | 1;
  report: CheckReport;
}

export async function runPrCheck(deps: PrCheckDeps): Promise<PrCheckResult> {
  const { context, io } = deps;
  const pr = context.pullRequest;
  // First, so that even a check that fails on the way still lets pr-comment explain why.
  if (pr && deps.savePointers) await deps.savePointers({ pr: pr.number, head: pr.headSha, base: pr.baseSha });

  const outcome = await checkTree({
    commits: pr,
    changedFiles: deps.changedFiles,
    existing: deps.existing,
    validate: deps.validate,
    plan: deps.plan,
    warning: io.warning,
  });
  const { validation } = outcome;
  if (context.inActions) for (const line of deps.annotations(validation)) io.print(line);
  else io.print(deps.human(validation));

  const report = toReport(outcome, {
    registry: 'withheld',
    reporter: 'pr-check',
    run: context.sha ? { sha: context.sha, url: context.runUrl } : null,
  });
  const summary = renderSummary(report);
  if (!(await io.writeSummary(summary)) && !context.inActions) io.print(`\n${summary}`);
  if (context.inActions) for (const [name, value] of Object.entries(reportOutputs(report))) io.setOutput(name, value);
  return { exitCode: validation.ok ? 0 : 1, report };
}
