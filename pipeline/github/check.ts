/**
 * The part pr-check and pr-comment share: decide what the PR touches, validate it (plus the
 * cross-file rules over the whole tree), and plan every valid connector. The tree is wherever the
 * caller says: pr-check's checkout of the PR, or pr-comment's copy of the PR head's files.
 */
import type { Plan } from '../sentinel/types.ts';
import { sortProblems } from '../validate/repo.ts';
import type { Problem, ValidationResult } from '../validate/types.ts';
import { validationScope, type ChangedFiles } from './changed-files.ts';
import { withholdInvalid } from './plan-withhold.ts';
import type { CheckReport } from './report.ts';

/** `problems`: what only the registry knows is wrong (a key name another connector owns). */
export type PlanOutcome = { ok: true; plan: Plan; problems?: Problem[] } | { ok: false; message: string };

export interface CheckDeps {
  /** The PR's commits, or null outside a PR: then everything is validated. */
  commits: { baseSha: string; headSha: string } | null;
  changedFiles(baseSha: string, headSha: string): Promise<ChangedFiles>;
  /** The connector folders (`connectors/<slug>`) among these that exist in the tree being checked. */
  existing(paths: string[]): string[];
  /** validateRepo over the given connector folders (undefined: all) of the tree being checked. */
  validate(paths?: string[]): Promise<ValidationResult>;
  /** The plan of these valid connectors (never writes). */
  plan(full: ValidationResult): Promise<PlanOutcome>;
  warning(message: string): void;
}

export interface CheckOutcome {
  /** The validation of what the PR touches (the verdict, the annotations). */
  validation: ValidationResult;
  scope: CheckReport['scope'];
  planned: PlanOutcome;
}

async function decideScope(deps: CheckDeps): Promise<CheckReport['scope']> {
  if (!deps.commits) return { all: true, reason: 'not a pull request', paths: [] };
  const diff = await deps.changedFiles(deps.commits.baseSha, deps.commits.headSha);
  if (!diff.ok) deps.warning(`${diff.message}. Validating every connector instead.`);
  const scope = validationScope(diff.ok ? diff.files : null);
  if (scope.all) return scope;
  const present = deps.existing(scope.paths);
  // Every touched folder was deleted: nothing to validate by path, the plan retires them.
  if (present.length === 0) return { all: true, reason: 'the PR only removes connectors', paths: [] };
  return { ...scope, paths: present };
}

export async function checkTree(deps: CheckDeps): Promise<CheckOutcome> {
  const scope = await decideScope(deps);
  const validation = await deps.validate(scope.all ? undefined : scope.paths);
  // The plan needs every connector, not only the touched ones.
  const full = scope.all ? validation : await deps.validate(undefined);
  const planned = await planFor(deps, full);
  if (!planned.ok) deps.warning(`No registry plan: ${planned.message}.`);
  const found = planned.ok ? (planned.problems ?? []) : [];
  if (found.length === 0) return { validation, scope, planned };
  // The merge would fail on these: the PR's verdict and annotations say so now.
  return { validation: { ...validation, ok: false, errors: sortProblems([...validation.errors, ...found]) }, scope, planned };
}

async function planFor(deps: CheckDeps, full: ValidationResult): Promise<PlanOutcome> {
  if (full.errors.some((e) => e.file.startsWith('pipeline/catalog/'))) {
    return { ok: false, message: 'the catalogues in pipeline/catalog/ are invalid; fix them and the plan follows' };
  }
  try {
    const planned = await deps.plan(full);
    return planned.ok ? { ...planned, plan: withholdInvalid(planned.plan, full.errors) } : planned;
  } catch (err) {
    return { ok: false, message: `the plan failed: ${(err as Error).message}` };
  }
}

/** The report the renderers take. */
export function toReport(outcome: CheckOutcome, rest: Pick<CheckReport, 'registry' | 'reporter' | 'run'>): CheckReport {
  const { validation: v, scope, planned } = outcome;
  return {
    validation: { ok: v.ok, checked: v.checked, checked_files: v.checked_files, errors: v.errors, warnings: v.warnings },
    scope,
    plan: planned.ok ? planned.plan : null,
    planError: planned.ok ? null : planned.message,
    ...rest,
  };
}
