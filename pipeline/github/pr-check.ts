/**
 * The PR check: validate what the PR touches (plus the cross-file rules), annotate the exact lines,
 * plan against the registry (or an empty one), write the job summary and outputs, keep the sticky
 * comment. Every edge (git, validator, registry, GitHub, the runner's files) is passed in, so this
 * file is the orchestration only.
 */
import type { Plan } from '../sentinel/types.ts';
import type { ValidationResult } from '../validate/types.ts';
import { existingPaths, validationScope, type ChangedFiles } from './changed-files.ts';
import { upsertStickyComment, type CommentResult } from './comment.ts';
import type { ActionsContext } from './context.ts';
import type { GitHub } from './octokit.ts';
import { reportOutputs } from './outputs.ts';
import { withholdInvalid } from './plan-withhold.ts';
import { renderComment } from './render-comment.ts';
import { renderSummary } from './render-summary.ts';
import type { CheckReport } from './report.ts';

export type PlanOutcome = { ok: true; plan: Plan } | { ok: false; message: string };

/** The runner's side: stdout, workflow commands, the summary file, outputs. */
export interface ActionsIO {
  /** A line on stdout (annotations are workflow commands printed here). */
  print(line: string): void;
  notice(message: string): void;
  warning(message: string): void;
  /** Appends to $GITHUB_STEP_SUMMARY; false when there is none (not in Actions). */
  writeSummary(markdown: string): Promise<boolean>;
  setOutput(name: string, value: string): void;
}

export interface PrCheckDeps {
  context: ActionsContext;
  changedFiles(baseSha: string, headSha: string): Promise<ChangedFiles>;
  /** validateRepo over the given connector folders (undefined: all). */
  validate(paths?: string[]): Promise<ValidationResult>;
  /** The plan of these valid connectors against the registry (or an empty one). Never writes. */
  plan(full: ValidationResult): Promise<PlanOutcome>;
  /** Null when there is no token: the comment is then skipped with a notice. */
  github: GitHub | null;
  io: ActionsIO;
  /** Workflow commands for the problems (the validator's formatter). */
  annotations(result: ValidationResult): string[];
  /** The human lines for the problems, outside Actions. */
  human(result: ValidationResult): string;
}

export interface PrCheckResult {
  exitCode: 0 | 1;
  report: CheckReport;
  comment: CommentResult | null;
}

async function decideScope(deps: PrCheckDeps): Promise<CheckReport['scope']> {
  const { context, io } = deps;
  const pr = context.pullRequest;
  if (!pr) return { all: true, reason: 'not a pull request', paths: [] };
  const diff = await deps.changedFiles(pr.baseSha, pr.headSha);
  if (!diff.ok) io.warning(`${diff.message}. Validating every connector instead.`);
  const scope = validationScope(diff.ok ? diff.files : null);
  if (scope.all) return scope;
  const present = existingPaths(context.repoRoot, scope.paths);
  // Every touched folder was deleted: nothing to validate by path, the plan retires them.
  if (present.length === 0) return { all: true, reason: 'the PR only removes connectors', paths: [] };
  return { ...scope, paths: present };
}

export async function runPrCheck(deps: PrCheckDeps): Promise<PrCheckResult> {
  const { context, io } = deps;
  const scope = await decideScope(deps);
  const validation = await deps.validate(scope.all ? undefined : scope.paths);

  if (context.inActions) for (const line of deps.annotations(validation)) io.print(line);
  else io.print(deps.human(validation));

  // The plan needs every connector, not only the touched ones.
  const full = scope.all ? validation : await deps.validate(undefined);
  const planned = await planFor(deps, full);
  if (!planned.ok) io.warning(`No registry plan: ${planned.message}.`);

  const report: CheckReport = {
    validation: { ok: validation.ok, checked: validation.checked, errors: validation.errors, warnings: validation.warnings },
    scope,
    plan: planned.ok ? planned.plan : null,
    planError: planned.ok ? null : planned.message,
    registryConfigured: context.registryUrl !== null,
    run: context.sha ? { sha: context.sha, url: context.runUrl } : null,
  };

  const summary = renderSummary(report);
  if (!(await io.writeSummary(summary)) && !context.inActions) io.print(`\n${summary}`);

  const comment = await postComment(deps, report);
  if (context.inActions) for (const [name, value] of Object.entries(reportOutputs(report, comment))) io.setOutput(name, value);
  return { exitCode: validation.ok ? 0 : 1, report, comment };
}

async function planFor(deps: PrCheckDeps, full: ValidationResult): Promise<PlanOutcome> {
  if (full.errors.some((e) => e.file.startsWith('pipeline/catalog/'))) {
    return { ok: false, message: 'the catalogues in pipeline/catalog/ are invalid; fix them and the plan follows' };
  }
  try {
    const planned = await deps.plan(full);
    return planned.ok ? { ok: true, plan: withholdInvalid(planned.plan, full.errors) } : planned;
  } catch (err) {
    return { ok: false, message: `the plan failed: ${(err as Error).message}` };
  }
}

async function postComment(deps: PrCheckDeps, report: CheckReport): Promise<CommentResult | null> {
  const { context, io } = deps;
  const pr = context.pullRequest;
  if (!pr || !context.repository) return null;
  if (!deps.github) {
    const skipped = { status: 'skipped' as const, reason: 'no GITHUB_TOKEN; the plan is in the job summary' };
    io.notice(`PR comment skipped: ${skipped.reason}.`);
    return skipped;
  }
  try {
    const result = await upsertStickyComment(deps.github, { ...context.repository, issueNumber: pr.number }, renderComment(report));
    if (result.status === 'skipped') io.notice(`PR comment skipped: ${result.reason}.`);
    else io.print(`PR comment ${result.status}: ${result.url}`);
    return result;
  } catch (err) {
    // The annotations and summary already carry everything; a GitHub outage must not fail the check.
    const status = (err as { status?: number }).status;
    const reason = `GitHub ${status ? `answered ${status}` : 'did not answer'} (${(err as Error).message.split('\n')[0]})`;
    io.warning(`PR comment not updated: ${reason}. The plan is in the job summary.`);
    return { status: 'skipped', reason };
  }
}
