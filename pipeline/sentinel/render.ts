/**
 * Human output of `plan` and `sync`: what changes, provider by provider, with the child rows and
 * the new firearm scopes called out (those are what a reviewer must look at first).
 */
import { formatHuman, formatProblem } from '../validate/format.ts';
import { escapeControl } from '../validate/terminal-text.ts';
import type { ValidationResult } from '../validate/types.ts';
import type { CatalogRow, KpiMappingRow, Plan, ProviderChange, RowChanges, ScopeRow, SecretRow, SyncResult } from './types.ts';

/**
 * Slugs are checked, but display names, scope names, labels and descriptions are the manifest's
 * own text: every line is escaped on its own (terminal-text.ts) before the lines are joined, so a
 * control or bidi character in a manifest is shown, never obeyed, and cannot break a line.
 */
const terminalLines = (lines: string[]): string => `${lines.map(escapeControl).join('\n')}\n`;

/** Providers shown in full; the rest are counted (the JSON output has them all). */
export const MAX_PROVIDERS_SHOWN = 50;

const MARK: Record<ProviderChange['kind'], string> = { added: '+', changed: '~', retired: '-', revived: '^' };

/** `emptyRegistryNote: false` when the caller says it louder itself (the plan command). */
export function renderPlan(plan: Plan, opts: { maxProviders?: number; emptyRegistryNote?: boolean } = {}): string {
  const max = opts.maxProviders ?? MAX_PROVIDERS_SHOWN;
  const out: string[] = [];
  if (plan.against_empty_registry && opts.emptyRegistryNote !== false) out.push('(planned against an empty registry: the database has no registry schema yet)', '');

  const catalog = [catalogLine('firearm types', plan.catalog.firearm_types), catalogLine('core KPIs', plan.catalog.core_kpis)].filter(Boolean);
  if (catalog.length > 0) out.push('Catalogues:', ...catalog.map((l) => `  ${l}`), '');

  for (const p of plan.providers.slice(0, max)) out.push(...providerLines(p), '');
  if (plan.providers.length > max) out.push(`... and ${plan.providers.length - max} more provider(s); --json lists them all.`, '');

  const firearms = newFirearmScopes(plan);
  if (firearms.length > 0) {
    out.push(`New firearm scopes (${firearms.length}): an agent can use these only with a licence of their type.`);
    for (const f of firearms.slice(0, max)) out.push(`  ${f.slug}: ${f.scope.name} [${f.scope.firearm_type}]`);
    if (firearms.length > max) out.push(`  ... and ${firearms.length - max} more`);
    out.push('');
  }
  out.push(summaryLine(plan));
  return terminalLines(out);
}

export function renderSyncResult(result: SyncResult): string {
  const head = result.dry_run
    ? 'Dry run: the registry was not changed. A sync would apply:'
    : result.outcome === 'noop'
      ? `Registry already up to date (sync #${result.sync_id}).`
      : `Registry updated (sync #${result.sync_id}${result.commit_sha ? `, commit ${result.commit_sha.slice(0, 12)}` : ''}${result.worktree_dirty ? ' + uncommitted changes' : ''}).`;
  return `${head}\n\n${renderPlan(result.plan)}`;
}

export function summaryLine(plan: Plan): string {
  const p = plan.counts.providers;
  const rows = (['scopes', 'kpi_mappings', 'secrets'] as const)
    .map((k) => {
      const c = plan.counts[k];
      const parts = [c.added && `+${c.added}`, c.changed && `~${c.changed}`, c.removed && `-${c.removed}`].filter(Boolean);
      return parts.length ? `${k.replace('_', ' ')} ${parts.join(' ')}` : '';
    })
    .filter(Boolean);
  const providers = `Providers: ${p.added} added, ${p.changed} changed, ${p.retired} retired, ${p.revived} revived, ${p.unchanged} unchanged.`;
  if (plan.providers.length === 0 && catalogCount(plan) === 0) return `No changes. ${providers}`;
  return rows.length ? `${providers} Rows: ${rows.join(', ')}.` : providers;
}

function catalogCount(plan: Plan): number {
  const { firearm_types: f, core_kpis: k } = plan.counts;
  return f.added + f.changed + f.removed + k.added + k.changed + k.removed;
}

function catalogLine(name: string, c: RowChanges<CatalogRow>): string {
  const parts = [
    c.added.length && `added ${ids(c.added)}`,
    c.changed.length && `changed ${ids(c.changed.map((x) => x.after))}`,
    c.removed.length && `retired ${ids(c.removed)}`,
  ].filter(Boolean);
  return parts.length ? `${name}: ${parts.join('; ')}` : '';
}

function ids(rows: CatalogRow[]): string {
  const shown = rows.slice(0, 20).map((r) => r.id);
  return rows.length > 20 ? `${shown.join(', ')} and ${rows.length - 20} more` : shown.join(', ');
}

function providerLines(p: ProviderChange): string[] {
  const title = `${MARK[p.kind]} ${p.slug} (${p.display_name}): ${describeKind(p)}`;
  const lines = [title];
  if (p.kind === 'retired') return lines;
  if (p.fields_changed.length) lines.push(`    fields: ${p.fields_changed.join(', ')}`);
  lines.push(...rowLines('scopes', p.scopes, scopeText, scopeDiff));
  lines.push(...rowLines('KPI mappings', p.kpi_mappings, kpiText, kpiDiff));
  lines.push(...rowLines('keys', p.secrets, (s) => s.key_name + (s.optional ? ' (optional)' : ''), secretDiff));
  if (p.kind === 'changed' && lines.length === 1) lines.push('    (only the order of entries changed)');
  return lines;
}

function describeKind(p: ProviderChange): string {
  switch (p.kind) {
    case 'added':
      return 'new, will be a draft awaiting review';
    case 'retired':
      return `folder removed: ${p.status_before} -> retired (its rows are kept as a tombstone)`;
    case 'revived':
      return 'folder is back: retired -> draft (any earlier approval is cleared)';
    case 'changed':
      if (p.status_before === 'approved' && p.status_after === 'changed') return 'manifest changed since approval: approved -> changed (needs review)';
      if (p.status_after === 'approved') return 'manifest is back to the approved version: changed -> approved';
      return `manifest changed (stays ${p.status_after})`;
  }
}

function rowLines<T>(label: string, c: RowChanges<T>, text: (r: T) => string, diff: (a: T, b: T) => string): string[] {
  if (!c.added.length && !c.changed.length && !c.removed.length) return [];
  const lines = [`    ${label}: ${[c.added.length && `+${c.added.length}`, c.changed.length && `~${c.changed.length}`, c.removed.length && `-${c.removed.length}`].filter(Boolean).join(' ')}`];
  for (const r of c.added) lines.push(`      + ${text(r)}`);
  for (const { before, after } of c.changed) lines.push(`      ~ ${text(after)}: ${diff(before, after)}`);
  for (const r of c.removed) lines.push(`      - ${text(r)}`);
  return lines;
}

const scopeText = (s: ScopeRow) => (s.requires_firearm ? `${s.name} [firearm ${s.firearm_type}]` : s.name);
const kpiText = (k: KpiMappingRow) => `${k.raw_metric} -> ${k.core_kpi} (${k.aggregation})`;

function scopeDiff(a: ScopeRow, b: ScopeRow): string {
  const parts: string[] = [];
  if (a.requires_firearm !== b.requires_firearm || a.firearm_type !== b.firearm_type) {
    parts.push(`firearm ${a.firearm_type ?? 'none'} -> ${b.firearm_type ?? 'none'}`);
  }
  if (a.access !== b.access) parts.push(`access ${a.access ?? 'unset'} -> ${b.access ?? 'unset'}`);
  if (a.description !== b.description) parts.push('description');
  return parts.join(', ');
}
const kpiDiff = (a: KpiMappingRow, b: KpiMappingRow) => `aggregation ${a.aggregation} -> ${b.aggregation} (approval reset)`;
function secretDiff(a: SecretRow, b: SecretRow): string {
  return (['label', 'description', 'optional'] as const).filter((k) => a[k] !== b[k]).join(', ');
}

/** Scopes that need a firearm and did not before: added ones, and changed ones that gained or switched type. */
export function newFirearmScopes(plan: Plan): { slug: string; scope: ScopeRow }[] {
  const found: { slug: string; scope: ScopeRow }[] = [];
  for (const p of plan.providers) {
    for (const s of p.scopes.added) if (s.requires_firearm) found.push({ slug: p.slug, scope: s });
    for (const { before, after } of p.scopes.changed) {
      if (after.requires_firearm && after.firearm_type !== before.firearm_type) found.push({ slug: p.slug, scope: after });
    }
  }
  return found;
}

/** A failed validation as `plan`/`sync` print it: every problem, then why nothing was planned or written. */
export function renderValidationFailure(validation: ValidationResult, action: 'plan' | 'sync', failedSyncId?: number | null): string {
  const tail =
    action === 'sync'
      ? failedSyncId
        ? 'No connector or catalogue was changed in the registry: a sync applies only when every manifest and catalogue is valid. ' +
          `The attempt is recorded as failed sync #${failedSyncId} (the site's Syncs and Activity pages).`
        : 'Nothing was written to the registry: a sync applies only when every manifest and catalogue is valid.'
      : 'No plan: fix the problems above, then run plan again.';
  return `${formatHuman(validation)}\n${tail}\n`;
}

/** The warnings of a valid run, one line each (empty when there are none). */
export function renderWarnings(validation: ValidationResult): string {
  return validation.warnings.map((p) => `${formatProblem(p, 'warning')}\n`).join('');
}

/**
 * How much was validated, when the unchanged-file fast path skipped some manifests (empty
 * otherwise). Their warnings were reported when they were last validated, not again now.
 */
export function renderSkipped(validation: ValidationResult, action: 'plan' | 'sync'): string {
  const skipped = validation.skipped_unchanged ?? 0;
  if (skipped === 0) return '';
  const validated = validation.checked - skipped;
  return `Skipped ${skipped} manifest(s) unchanged since the last sync (same bytes, catalogues and rules); validated the other ${validated} file(s), catalogues included. ${action} --full validates every one.\n`;
}
