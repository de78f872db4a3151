/**
 * What a reviewer must look at in a plan, derived purely from it: firearm scopes that appear or
 * disappear, KPI mappings an operator will have to approve, keys an operator will have to set.
 */
import type { KpiMappingRow, Plan, ProviderChange, SecretRow } from '../sentinel/types.ts';

export interface FirearmScopeChange {
  slug: string;
  scope: string;
  firearm_type: string;
  /** new: a new firearm scope; armed: an existing scope now requires a firearm; retyped: its firearm type changed. */
  reason: 'new' | 'armed' | 'retyped';
  before_type: string | null;
}

export interface DisarmedScope {
  slug: string;
  scope: string;
  /** The firearm type it required before. */
  firearm_type: string;
  /** removed: the scope is gone; disarmed: it stays but no longer requires a firearm. */
  reason: 'removed' | 'disarmed';
}

export interface KpiApproval extends KpiMappingRow {
  slug: string;
  reason: 'new' | 'changed';
}

export interface KeyToSet extends SecretRow {
  slug: string;
}

const live = (p: ProviderChange) => p.kind !== 'retired';

/** Scopes that will let an agent act with a firearm where it could not before: human review required. */
export function newFirearmScopes(plan: Plan): FirearmScopeChange[] {
  const out: FirearmScopeChange[] = [];
  for (const p of plan.providers.filter(live)) {
    for (const s of p.scopes.added) {
      if (s.requires_firearm) out.push({ slug: p.slug, scope: s.name, firearm_type: s.firearm_type ?? '?', reason: 'new', before_type: null });
    }
    for (const { before, after } of p.scopes.changed) {
      if (!after.requires_firearm) continue;
      if (!before.requires_firearm) {
        out.push({ slug: p.slug, scope: after.name, firearm_type: after.firearm_type ?? '?', reason: 'armed', before_type: null });
      } else if (before.firearm_type !== after.firearm_type) {
        out.push({
          slug: p.slug,
          scope: after.name,
          firearm_type: after.firearm_type ?? '?',
          reason: 'retyped',
          before_type: before.firearm_type,
        });
      }
    }
  }
  return out;
}

/**
 * Scopes that required a firearm and no longer do. A scope that stays but drops its firearm is
 * the dangerous one (the gate disappears while the action remains), so reviewers see it too.
 */
export function disarmedScopes(plan: Plan): DisarmedScope[] {
  const out: DisarmedScope[] = [];
  for (const p of plan.providers.filter(live)) {
    for (const { before, after } of p.scopes.changed) {
      if (before.requires_firearm && !after.requires_firearm) {
        out.push({ slug: p.slug, scope: after.name, firearm_type: before.firearm_type ?? '?', reason: 'disarmed' });
      }
    }
    for (const s of p.scopes.removed) {
      if (s.requires_firearm) out.push({ slug: p.slug, scope: s.name, firearm_type: s.firearm_type ?? '?', reason: 'removed' });
    }
  }
  return out;
}

/** Added or changed KPI mappings: each lands unapproved and waits for an operator. */
export function kpiMappingsToApprove(plan: Plan): KpiApproval[] {
  return plan.providers.filter(live).flatMap((p) => [
    ...p.kpi_mappings.added.map((m) => ({ ...m, slug: p.slug, reason: 'new' as const })),
    ...p.kpi_mappings.changed.map(({ after }) => ({ ...after, slug: p.slug, reason: 'changed' as const })),
  ]);
}

/** Keys a connector newly declares: the operator sets each in the God Config site before use. */
export function keysToSet(plan: Plan): KeyToSet[] {
  return plan.providers.filter(live).flatMap((p) => p.secrets.added.map((s) => ({ ...s, slug: p.slug })));
}

/** Whether the plan changes anything at all: the sentinel's own definition. */
export { planIsEmpty } from '../sentinel/plan.ts';
