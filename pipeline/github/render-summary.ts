/**
 * Job summaries ($GITHUB_STEP_SUMMARY): the PR check's, and the sync's on main. Pure.
 * A step summary may hold 1 MiB, so lists run longer here than in the PR comment.
 */
import type { Plan, SyncResult } from '../sentinel/types.ts';
import { code } from './markdown.ts';
import { planIsEmpty } from './plan-insights.ts';
import type { CheckReport } from './report.ts';
import {
  catalogSection,
  countsTable,
  firearmSection,
  footer,
  headline,
  keysSection,
  kpiSection,
  problemsSection,
  providersTable,
  registryNote,
  scopeNote,
  scopesSection,
} from './render-sections.ts';

const MAX_ROWS = 500;

function planBody(plan: Plan): string[] {
  return [
    countsTable(plan),
    ...firearmSection(plan, MAX_ROWS),
    '### Connectors',
    ...providersTable(plan, MAX_ROWS),
    ...scopesSection(plan, MAX_ROWS),
    ...kpiSection(plan, MAX_ROWS),
    ...keysSection(plan, MAX_ROWS),
    ...catalogSection(plan),
  ];
}

/**
 * The job summary of a PR check (pr-check's or pr-comment's): verdict, the plan as tables, every
 * problem. Not yet fitted to GitHub's 1 MiB: the writer does that, knowing what the step wrote before.
 */
export function renderSummary(report: CheckReport): string {
  return `${[
    report.reporter === 'pr-check' ? '## Connector check' : '## Connector registry plan',
    headline(report),
    scopeNote(report),
    registryNote(report),
    ...(report.plan ? planBody(report.plan) : []),
    ...problemsSection(report.validation, MAX_ROWS),
    footer(report),
  ].join('\n\n')}\n`;
}

/** What `sync --json` printed: a SyncResult, or a bare plan (`--dry-run`). */
export type SyncOutput = SyncResult | Plan;

function isSyncResult(value: SyncOutput): value is SyncResult {
  return 'plan' in value && 'outcome' in value;
}

/** The sync job's summary on main. */
export function renderSyncSummary(output: SyncOutput, commitSha: string | null): string {
  const plan = isSyncResult(output) ? output.plan : output;
  const verdict = !isSyncResult(output)
    ? 'Dry run: nothing was written.'
    : output.outcome === 'noop'
      ? '✅ The registry was already up to date: no row changed.'
      : `✅ Applied in one transaction (sync #${output.sync_id ?? '?'}).`;
  const commit = commitSha ? ` for ${code(commitSha.slice(0, 12))}` : '';
  return `${[
    `## Registry sync${commit}`,
    verdict,
    ...(planIsEmpty(plan) ? [] : planBody(plan)),
    'Next: an operator reviews each draft or changed connector in the God Config site, approves it and its KPI mappings, and sets its keys.',
  ].join('\n\n')}\n`;
}

/** When the sync printed nothing usable (it failed before planning), with the problems it refused if any. `reason` is our own words. */
export function renderSyncFailure(reason: string, validation?: CheckReport['validation']): string {
  return `${[
    '## Registry sync',
    `❌ The sync did not complete: ${reason}. Nothing was written; see the step log.`,
    ...(validation ? problemsSection(validation, MAX_ROWS) : []),
  ].join('\n\n')}\n`;
}
