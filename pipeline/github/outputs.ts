/**
 * The step outputs pr-check and pr-comment set (steps.<id>.outputs.<name>), all strings. Pure.
 * Counts are 0 when there is no plan; `planned` says whether there is one.
 */
import { keysToSet, kpiMappingsToApprove, newFirearmScopes } from './plan-insights.ts';
import type { CheckReport } from './report.ts';
import type { CommentResult } from './comment.ts';

export function reportOutputs(report: CheckReport): Record<string, string> {
  const { plan, validation } = report;
  const c = plan?.counts;
  return {
    valid: String(validation.ok),
    checked: String(validation.checked),
    errors: String(validation.errors.length),
    warnings: String(validation.warnings.length),
    planned: String(plan !== null),
    against_empty_registry: String(plan?.against_empty_registry ?? true),
    providers_added: String(c?.providers.added ?? 0),
    providers_changed: String(c?.providers.changed ?? 0),
    providers_retired: String(c?.providers.retired ?? 0),
    providers_revived: String(c?.providers.revived ?? 0),
    providers_unchanged: String(c?.providers.unchanged ?? 0),
    scopes_added: String(c?.scopes.added ?? 0),
    scopes_removed: String(c?.scopes.removed ?? 0),
    new_firearm_scopes: String(plan ? newFirearmScopes(plan).length : 0),
    kpi_mappings_to_approve: String(plan ? kpiMappingsToApprove(plan).length : 0),
    keys_to_set: String(plan ? keysToSet(plan).length : 0),
  };
}

/** pr-comment's: what happened to the sticky comment. */
export function commentOutputs(comment: CommentResult): Record<string, string> {
  return { comment: comment.status, comment_url: comment.status === 'skipped' ? '' : comment.url };
}
