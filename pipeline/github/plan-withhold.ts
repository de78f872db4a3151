/**
 * A PR with errors still gets a plan of its valid connectors. But a registered connector whose
 * manifest is now invalid is absent from the valid set, so the plain plan would call it retired;
 * the merge would retire nothing (sync refuses invalid trees), so that row is withheld. Pure.
 */
import type { Plan } from '../sentinel/types.ts';
import type { Problem } from '../validate/types.ts';

/** Connector folders with at least one error: `connectors/<slug>/...` → slug. */
export function invalidSlugs(errors: Problem[]): Set<string> {
  const slugs = new Set<string>();
  for (const e of errors) {
    const m = /^connectors\/([^/]+)(\/|$)/.exec(e.file);
    if (m) slugs.add(m[1]!);
  }
  return slugs;
}

export function withholdInvalid(plan: Plan, errors: Problem[]): Plan {
  const invalid = invalidSlugs(errors);
  const withheld = plan.providers.filter((p) => p.kind === 'retired' && invalid.has(p.slug));
  if (withheld.length === 0) return plan;
  return {
    ...plan,
    providers: plan.providers.filter((p) => !withheld.includes(p)),
    counts: { ...plan.counts, providers: { ...plan.counts.providers, retired: plan.counts.providers.retired - withheld.length } },
  };
}
