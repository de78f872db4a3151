/**
 * The plan comment, run by the `workflow_run` job on the default branch's code once the PR check
 * finished. It holds what pr-check must not: a token that may write to pull requests and the
 * registry's read-only URL. So it never runs the PR: the PR pointers (untrusted) are checked
 * against the triggering run and against GitHub, the head's files are read from git objects into a
 * temp dir as data, the default branch's validator validates them, the plan is computed against
 * the registry, and the sticky comment (ours: our marker, written by the token's identity) is
 * created or updated. Every edge is passed in; this file is the orchestration only.
 */
import type { ValidationResult } from '../validate/types.ts';
import type { ActionsIO } from './actions-io.ts';
import type { ChangedFiles } from './changed-files.ts';
import { checkTree, toReport, type PlanOutcome } from './check.ts';
import { upsertStickyComment, type CommentResult } from './comment.ts';
import type { CommentContext } from './comment-context.ts';
import type { IdentityResult } from './identity.ts';
import type { GitHub } from './octokit.ts';
import { commentOutputs, reportOutputs } from './outputs.ts';
import type { PrPointers } from './pointers.ts';
import type { VerifyResult } from './pull-request.ts';
import { renderComment } from './render-comment.ts';
import { renderSummary } from './render-summary.ts';
import type { CheckReport } from './report.ts';

/** The PR head's files copied as data, and how to check them. Removed by `dispose`. */
export interface HeadCopy {
  /** The copy's root: validateRepo reads it like a checkout. */
  root: string;
  /** Whether the base commit is present to diff against. */
  baseAvailable: boolean;
  dispose(): Promise<void>;
}

export interface PrCommentDeps {
  context: CommentContext;
  pointers: PrPointers;
  github: GitHub;
  io: ActionsIO;
  verify(gh: GitHub, pointers: PrPointers): Promise<VerifyResult>;
  identity(gh: GitHub): Promise<IdentityResult>;
  /** Fetches the head (and base) and copies the head's files as data. */
  copyHead(head: string, base: string): Promise<{ ok: true; copy: HeadCopy } | { ok: false; message: string }>;
  /** `git diff base...head` in the default branch's checkout. */
  changedFiles(baseSha: string, headSha: string): Promise<ChangedFiles>;
  /** The connector folders among these that exist in the copy. */
  existing(root: string, paths: string[]): string[];
  /** The default branch's validateRepo over the copy. */
  validate(root: string, paths?: string[]): Promise<ValidationResult>;
  /** Against REGISTRY_DATABASE_URL when set, else an empty registry. Never writes. `root`: the copy. */
  plan(full: ValidationResult, root: string): Promise<PlanOutcome>;
}

export interface PrCommentResult {
  exitCode: 0 | 1;
  report: CheckReport | null;
  comment: CommentResult | null;
}

const refused = (io: ActionsIO, message: string): PrCommentResult => {
  io.warning(`No plan comment: ${message}.`);
  return { exitCode: 1, report: null, comment: null };
};

export async function runPrComment(deps: PrCommentDeps): Promise<PrCommentResult> {
  const { context, pointers, io } = deps;
  // The triggering run's head is GitHub's word, not the PR's: the pointers must name it.
  if (context.triggeringHeadSha && context.triggeringHeadSha !== pointers.head) {
    return refused(io, `the pointers name head ${pointers.head} but the workflow run that triggered this job checked ${context.triggeringHeadSha}; nothing was read or posted`);
  }
  const verified = await deps.verify(deps.github, pointers);
  if (!verified.ok) return refused(io, verified.message);
  for (const note of verified.notes) io.notice(note);
  const identity = await deps.identity(deps.github);
  if (!identity.ok) return refused(io, identity.message);

  const { headSha, baseSha } = verified.pr;
  const copied = await deps.copyHead(headSha, baseSha);
  if (!copied.ok) return refused(io, copied.message);
  const { copy } = copied;
  let report: CheckReport;
  try {
    const outcome = await checkTree({
      commits: { baseSha, headSha },
      changedFiles: (base, head) =>
        copy.baseAvailable ? deps.changedFiles(base, head) : Promise.resolve({ ok: false as const, message: `the base commit ${base.slice(0, 12)} could not be fetched` }),
      existing: (paths) => deps.existing(copy.root, paths),
      validate: (paths) => deps.validate(copy.root, paths),
      plan: (full) => deps.plan(full, copy.root),
      warning: io.warning,
    });
    report = toReport(outcome, {
      registry: context.registryUrl ? 'configured' : 'unconfigured',
      reporter: 'pr-comment',
      run: { sha: headSha, url: context.runUrl },
    });
  } finally {
    await copy.dispose();
  }

  await io.writeSummary(renderSummary(report));
  const comment = await postComment(deps, report, identity.identity);
  if (context.inActions) {
    for (const [name, value] of Object.entries({ ...reportOutputs(report), ...commentOutputs(comment) })) io.setOutput(name, value);
  }
  const posted = comment.status !== 'skipped';
  return { exitCode: posted && report.validation.ok ? 0 : 1, report, comment };
}

async function postComment(deps: PrCommentDeps, report: CheckReport, identity: Parameters<typeof upsertStickyComment>[3]): Promise<CommentResult> {
  const { context, io, pointers } = deps;
  const target = { ...context.repository, issueNumber: pointers.pr };
  try {
    const result = await upsertStickyComment(deps.github, target, renderComment(report), identity);
    if (result.status === 'skipped') io.warning(`PR comment not written: ${result.reason}.`);
    else io.print(`PR comment ${result.status} as ${identity.login}: ${result.url}`);
    return result;
  } catch (err) {
    const status = (err as { status?: number }).status;
    const reason = `GitHub ${status ? `answered ${status}` : 'did not answer'} (${(err as Error).message.split('\n')[0]})`;
    io.warning(`PR comment not written: ${reason}. The plan is in this job's summary.`);
    return { status: 'skipped', reason };
  }
}
