/**
 * The sections the PR comment and the job summary are made of. Pure: a report in, markdown out.
 */
import type { Plan, ProviderChange, RowChanges } from '../sentinel/types.ts';
import { checkedText } from '../validate/format.ts';
import type { Problem } from '../validate/types.ts';
import { code, delta, hiddenNote, limit, plural, table } from './markdown.ts';
import { disarmedScopes, keysToSet, kpiMappingsToApprove, newFirearmScopes } from './plan-insights.ts';
import type { CheckReport } from './report.ts';

/** The verdict in one line. */
export function headline(report: CheckReport): string {
  const { ok, errors, warnings } = report.validation;
  const files = checkedText(report.validation);
  if (!ok) {
    return `❌ **${plural(errors.length, 'error')}**, ${plural(warnings.length, 'warning')} in ${files} checked. Fix them before merging: a merge with errors registers nothing.`;
  }
  if (warnings.length) return `⚠️ Valid with **${plural(warnings.length, 'warning')}** (${files} checked).`;
  return `✅ Valid: ${files} checked, no problems.`;
}

/** What the validation covered. */
export function scopeNote(report: CheckReport): string {
  const { all, reason, paths } = report.scope;
  if (all) return `Validated the whole tree (${reason}).`;
  const shown = limit(paths, 10);
  const list = shown.shown.map(code).join(', ') + (shown.hidden ? `, …and ${shown.hidden} more` : '');
  return `Validated what this PR touches (${list || 'nothing'}) plus the cross-file rules over the whole tree.`;
}

/** Which registry the plan was computed against, and why. */
export function registryNote(report: CheckReport): string {
  if (!report.plan) return `> **No plan**: ${code(report.planError ?? 'the plan could not be computed')}.`;
  if (!report.plan.against_empty_registry) return '> Planned against **the registry** (read-only): this is what the merge will change.';
  switch (report.registry) {
    case 'withheld':
      return "> Planned against **an empty registry**, so every connector shows as added: this check runs the PR's own code, so it holds no secret and never reads the registry. The plan against the registry is in the PR comment, written by the *Connectors plan comment* workflow from the default branch's code.";
    case 'unconfigured':
      return '> Planned against **an empty registry**: no `REGISTRY_DATABASE_URL` is configured for the plan comment (the read-only secret of the `registry` environment), so every connector shows as added.';
    case 'configured':
      return '> Planned against **an empty registry**: the registry has no schema yet, so every connector shows as added.';
  }
}

const KIND_LABEL: Record<ProviderChange['kind'], string> = {
  added: '🆕 added',
  changed: '✏️ changed',
  retired: '🪦 retired',
  revived: '♻️ revived',
};

const rowDelta = (r: RowChanges<unknown>) => delta(r.added.length, r.removed.length, r.changed.length);

function statusCell(p: ProviderChange): string {
  const after = p.status_after === 'changed' ? 'changed (needs review)' : p.status_after;
  return `${p.status_before ?? 'new'} → ${after}`;
}

/** One row per provider that changes. */
export function providersTable(plan: Plan, max: number): string[] {
  if (!plan.providers.length) return [`No connector changes (${plural(plan.unchanged, 'connector')} unchanged).`];
  const { shown, hidden } = limit(plan.providers, max);
  const rows = shown.map((p) => [
    KIND_LABEL[p.kind],
    `${code(p.slug)} ${code(p.display_name)}`,
    statusCell(p),
    rowDelta(p.scopes),
    rowDelta(p.kpi_mappings),
    rowDelta(p.secrets),
    p.fields_changed.length ? p.fields_changed.map(code).join(' ') : '–',
  ]);
  return [
    table(['Change', 'Connector', 'Status', 'Scopes', 'KPI mappings', 'Keys', 'Fields changed'], rows),
    ...hiddenNote(hidden, 'connectors'),
    ...(plan.unchanged ? [`${plural(plan.unchanged, 'connector')} unchanged.`] : []),
  ];
}

const COUNT_LABELS = [
  ['scopes', 'Scopes'],
  ['kpi_mappings', 'KPI mappings'],
  ['secrets', 'Keys'],
  ['firearm_types', 'Firearm types'],
  ['core_kpis', 'Core KPIs'],
] as const;

/** Every kind of change counted, the summary's headline table. */
export function countsTable(plan: Plan): string {
  const c = plan.counts;
  const p = c.providers;
  const rows = [
    ['Connectors', `+${p.added} added, ~${p.changed} changed, ${p.retired} retired, ${p.revived} revived, ${p.unchanged} unchanged`],
    ...COUNT_LABELS.map(([k, label]) => [label, `+${c[k].added} added, ~${c[k].changed} changed, −${c[k].removed} removed`]),
  ];
  return table(['Rows', 'Change'], rows);
}

const FIREARM_WHY = { new: 'new scope', armed: 'now requires a firearm', retyped: 'firearm type changed' } as const;

/** NEW FIREARM SCOPES, called out for human review, and firearms that disappear. */
export function firearmSection(plan: Plan, max: number): string[] {
  const armed = newFirearmScopes(plan);
  const disarmed = disarmedScopes(plan);
  const out: string[] = [];
  if (armed.length) {
    const { shown, hidden } = limit(armed, max);
    out.push(
      `### 🚨 NEW FIREARM SCOPES: human review required (${armed.length})`,
      'An agent holding one of these can spend money, destroy data, speak for the business or deploy code. Check each is real and carries the right firearm type.',
      table(
        ['Connector', 'Scope', 'Firearm type', 'Why'],
        shown.map((f) => [
          code(f.slug),
          code(f.scope),
          f.before_type ? `${code(f.before_type)} → ${code(f.firearm_type)}` : code(f.firearm_type),
          FIREARM_WHY[f.reason],
        ]),
      ),
      ...hiddenNote(hidden, 'firearm scopes'),
    );
  }
  if (disarmed.length) {
    const { shown, hidden } = limit(disarmed, max);
    out.push(
      `### ⚠️ Firearms removed (${disarmed.length})`,
      'These scopes required a firearm before. Make sure no dangerous action lost its gate.',
      table(
        ['Connector', 'Scope', 'Was', 'Now'],
        shown.map((d) => [code(d.slug), code(d.scope), code(d.firearm_type), d.reason === 'removed' ? 'scope removed' : '**no firearm required**']),
      ),
      ...hiddenNote(hidden, 'scopes'),
    );
  }
  return out;
}

/** Scope names added, removed and changed, per connector. */
export function scopesSection(plan: Plan, max: number): string[] {
  const lines = plan.providers
    .filter((p) => p.scopes.added.length + p.scopes.removed.length + p.scopes.changed.length > 0)
    .map((p) => {
      const parts = [
        p.scopes.added.length ? `added ${p.scopes.added.map((s) => code(s.name) + (s.requires_firearm ? ' 🔫' : '')).join(', ')}` : '',
        p.scopes.removed.length ? `removed ${p.scopes.removed.map((s) => code(s.name)).join(', ')}` : '',
        p.scopes.changed.length ? `changed ${p.scopes.changed.map((s) => code(s.after.name)).join(', ')}` : '',
      ].filter(Boolean);
      return `- ${code(p.slug)}: ${parts.join('; ')}`;
    });
  if (!lines.length) return [];
  const { shown, hidden } = limit(lines, max);
  return ['### Scopes', '🔫 marks a scope that requires a firearm.', shown.join('\n'), ...hiddenNote(hidden, 'connectors')];
}

/** KPI mappings an operator will have to approve. */
export function kpiSection(plan: Plan, max: number): string[] {
  const all = kpiMappingsToApprove(plan);
  if (!all.length) return [];
  const { shown, hidden } = limit(all, max);
  return [
    `### KPI mappings that will need approval (${all.length})`,
    table(
      ['Connector', 'Provider metric', 'Core KPI', 'Aggregation', ''],
      shown.map((m) => [code(m.slug), code(m.raw_metric), code(m.core_kpi), code(m.aggregation), m.reason === 'new' ? 'new' : 'changed: loses its approval']),
    ),
    ...hiddenNote(hidden, 'mappings'),
  ];
}

/** Keys an operator will have to set in the God Config site. */
export function keysSection(plan: Plan, max: number): string[] {
  const all = keysToSet(plan);
  if (!all.length) return [];
  const { shown, hidden } = limit(all, max);
  return [
    `### Keys the operator will have to set (${all.length})`,
    'Set each in the God Config site (Authentication card). Never put a value in the repository or the PR.',
    table(
      ['Connector', 'Key', 'Label', ''],
      shown.map((k) => [code(k.slug), code(k.key_name), code(k.label), k.optional ? 'optional' : 'required']),
    ),
    ...hiddenNote(hidden, 'keys'),
  ];
}

/** Catalogue entries added, changed or removed. */
export function catalogSection(plan: Plan): string[] {
  const { firearm_types: f, core_kpis: k } = plan.catalog;
  if (plan.against_empty_registry && f.added.length + k.added.length > 0) {
    // Against an empty registry every entry is new; listing the whole catalogue says nothing.
    return ['### Catalogues', `${plural(f.added.length, 'firearm type')} and ${plural(k.added.length, 'core KPI')}, all new to an empty registry.`];
  }
  const rows: string[][] = [];
  for (const [name, changes] of [
    ['firearm type', plan.catalog.firearm_types],
    ['core KPI', plan.catalog.core_kpis],
  ] as const) {
    for (const r of changes.added) rows.push([name, code(r.id), 'added', code(r.label)]);
    for (const { after } of changes.changed) rows.push([name, code(after.id), 'changed', code(after.label)]);
    for (const r of changes.removed) rows.push([name, code(r.id), '**removed**', code(r.label)]);
  }
  return rows.length ? ['### Catalogue changes', table(['Catalogue', 'Id', 'Change', 'Label'], rows)] : [];
}

function problemRow(severity: string, p: Problem): string[] {
  return [severity, code(`${p.file}:${p.line}:${p.column}`), p.path ? code(p.path) : '', code(p.message)];
}

/** Every validation problem, errors first. */
export function problemsSection(validation: CheckReport['validation'], max: number): string[] {
  const all = [...validation.errors.map((p) => problemRow('❌ error', p)), ...validation.warnings.map((p) => problemRow('⚠️ warning', p))];
  if (!all.length) return [];
  const { shown, hidden } = limit(all, max);
  return [
    `### Validation problems (${all.length})`,
    'Each is also annotated on its line in the Files changed tab.',
    table(['Severity', 'Where', 'Field', 'Problem'], shown),
    ...hiddenNote(hidden, 'problems (see the job log)'),
  ];
}

/** The commit and run the text describes. */
export function footer(report: CheckReport): string {
  const what =
    report.reporter === 'pr-check'
      ? "Written by `npm run connectors -- pr-check` (the PR's own code, no secret)"
      : "Updated by `npm run connectors -- pr-comment` (the default branch's code, reading the PR as data)";
  if (!report.run) return `<sub>${what}</sub>`;
  const run = report.run.url ? ` · [workflow run](${report.run.url})` : '';
  return `<sub>${what} for ${code(report.run.sha.slice(0, 12))}${run}</sub>`;
}
