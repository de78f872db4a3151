/**
 * Registry events and syncs in plain words, for /activity and /syncs. Pure: a row in, sentences
 * out (the pages escape them like any text). Names, codes and counts only: no event holds a value.
 */
import type { FailureSummary } from '../../../pipeline/sentinel/record.ts';
import { scopeWords, usesWords, visibleText } from './licence-words.ts';

/** Every kind of event the registry's writers record, as the /activity filter offers them. */
export const EVENT_KINDS: readonly { kind: string; label: string }[] = [
  { kind: 'sync', label: 'Syncs' },
  { kind: 'status_changed', label: 'Status changes (by a sync)' },
  { kind: 'approve', label: 'Approvals' },
  { kind: 'approval_revoked', label: 'Approvals revoked' },
  { kind: 'approve_kpi', label: 'KPI mapping approvals' },
  { kind: 'key_set', label: 'Keys set' },
  { kind: 'key_set_failed', label: 'Keys not set (refused)' },
  { kind: 'licence_grant', label: 'Licences granted' },
  { kind: 'licence_revoke', label: 'Licences revoked' },
  { kind: 'licence_request_approve', label: 'Licence requests approved' },
  { kind: 'licence_request_deny', label: 'Licence requests denied' },
  { kind: 'oauth_connected', label: 'OAuth connected' },
  { kind: 'oauth_disconnected', label: 'OAuth disconnected' },
  { kind: 'oauth_connect_failed', label: 'OAuth connects that failed' },
  { kind: 'oauth_refresh_failed', label: 'OAuth token refreshes that failed' },
];

/** The shape of an event kind (registry_events.kind's CHECK), so a kind no writer knows yet can still be filtered on. */
export const KIND_RE = /^[a-z_]{1,64}$/;

export type SyncCounts = Record<string, Record<string, number>>;

/** The sync an event belongs to (kind 'sync'), as /activity and /syncs show it. */
export interface SyncFacts {
  id: string;
  outcome: 'applied' | 'noop' | 'failed';
  commit_sha: string | null;
  worktree_dirty: boolean | null;
  counts: SyncCounts | null;
  problems: FailureSummary | null;
  /** The free-text error column of rows written by other tools (the sentinel writes `problems`). */
  error: string | null;
}

export interface ActivityEvent {
  id: string;
  at: Date;
  kind: string;
  actor: string;
  provider_slug: string | null;
  display_name: string | null;
  sync_id: string | null;
  details: Record<string, unknown>;
  sync: SyncFacts | null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? visibleText(v) : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** `abc1234def0`, or `HEAD abc1234def0 + uncommitted changes` when the sync read work not in that commit. */
export function commitWords(sha: string | null, dirty: boolean | null): string {
  if (!sha) return dirty ? 'uncommitted changes' : 'no commit (not a git checkout)';
  const short = sha.slice(0, 10);
  return dirty ? `HEAD ${short} + uncommitted changes` : short;
}

const COUNT_NOUNS: Record<string, [string, string]> = {
  providers: ['connector', 'connectors'],
  scopes: ['scope', 'scopes'],
  kpi_mappings: ['KPI mapping', 'KPI mappings'],
  secrets: ['key', 'keys'],
  firearm_types: ['firearm type', 'firearm types'],
  core_kpis: ['core KPI', 'core KPIs'],
};

/** "2 connectors added, 1 changed; 3 scopes added", or null when nothing changed. */
export function countsWords(counts: SyncCounts | null): string | null {
  if (!counts) return null;
  const parts: string[] = [];
  for (const [kind, [one, many]] of Object.entries(COUNT_NOUNS)) {
    const c = counts[kind];
    if (!c) continue;
    const changes = Object.entries(c).filter(([k, n]) => k !== 'unchanged' && typeof n === 'number' && n > 0);
    if (changes.length === 0) continue;
    const [first, ...rest] = changes;
    parts.push([`${first![1]} ${first![1] === 1 ? one : many} ${first![0]}`, ...rest.map(([k, n]) => `${n} ${k}`)].join(', '));
  }
  return parts.length ? parts.join('; ') : null;
}

/** What a failed sync's summary says, in one sentence. */
export function failureWords(sync: Pick<SyncFacts, 'problems' | 'error'>): string {
  const p = sync.problems;
  const attempts = p?.attempts && p.attempts > 1 ? ` (${p.attempts} attempts in a row failed this way)` : '';
  if (p && 'errors' in p) {
    const warnings = p.warnings > 0 ? ` and ${plural(p.warnings, 'warning')}` : '';
    return `${plural(p.errors, 'problem')}${warnings} in the manifests or catalogues: nothing was applied${attempts}.`;
  }
  if (p && 'error' in p) return `the registry refused it: ${visibleText(p.error)}${p.code ? ` (SQLSTATE ${p.code})` : ''}; nothing was applied${attempts}.`;
  if (sync.error) return `${visibleText(sync.error)}; nothing was applied.`;
  return 'nothing was applied.';
}

/** What the sync did, in words: "applied: 2 connectors added", "found nothing to change", "failed: ...". */
export function syncWords(sync: SyncFacts): string {
  if (sync.outcome === 'failed') return `Sync #${sync.id} failed: ${failureWords(sync)}`;
  const counts = countsWords(sync.counts);
  if (sync.outcome === 'noop' || !counts) return `Sync #${sync.id} found nothing to change.`;
  return `Sync #${sync.id} applied: ${counts}.`;
}

const STATUS_CHANGES: Record<string, string> = {
  changed: 'its folder changed since approval',
  retired: 'its folder is gone (kept as a tombstone)',
  revived: 'its folder came back',
};

/** One event as a sentence about its connector (the page shows who, when and which connector around it). */
export function eventWords(e: ActivityEvent): string {
  const d = e.details ?? {};
  switch (e.kind) {
    case 'sync':
      if (e.sync) return syncWords(e.sync);
      return `Sync${e.sync_id ? ` #${e.sync_id}` : ''}: ${str(d.outcome) ?? 'outcome not recorded'}.`;
    case 'status_changed': {
      const why = STATUS_CHANGES[String(d.kind)] ?? null;
      return `Status ${str(d.from) ?? '?'} → ${str(d.to) ?? '?'}${why ? `: ${why}` : ''}${e.sync_id ? ` (sync #${e.sync_id})` : ''}.`;
    }
    case 'approve': {
      const digest = str(d.digest);
      return `Approved${digest ? ` digest ${digest.slice(0, 12)}` : ''}${str(d.from) ? `, which was ${str(d.from)}` : ''}.`;
    }
    case 'approval_revoked':
      return `Revoked the approval${str(d.from) ? ` (was ${str(d.from)})` : ''}; the connector needs a review again.`;
    case 'approve_kpi':
      return `Approved the KPI mapping ${str(d.raw_metric) ?? '?'} → ${str(d.core_kpi) ?? '?'}${str(d.aggregation) ? ` (${str(d.aggregation)})` : ''}.`;
    case 'key_set':
      return `Set the key ${str(d.key) ?? '?'} (vault-agent stored it; the value is not recorded).`;
    case 'key_set_failed':
      return `Tried to set the key ${str(d.key) ?? '?'}; it was not stored${str(d.code) ? ` (${str(d.code)})` : ''}.`;
    case 'licence_grant': {
      const max = num(d.max_uses);
      const until = str(d.expires_at);
      const note = str(d.note);
      return (
        `Granted licence #${num(d.licence_id) ?? '?'} for ${scopeWords(str(d.scope), str(d.firearm_type) ?? '?')}, ${usesWords(max)}` +
        `${until ? `, until ${until.slice(0, 16).replace('T', ' ')} UTC` : ''}${num(d.request_id) ? ` (request #${num(d.request_id)})` : ''}` +
        `${note ? `. Note: “${note}”` : ''}.`
      );
    }
    case 'licence_revoke': {
      const uses = num(d.uses);
      const why = d.reason === 'approval_revoked' ? ', with the approval' : '';
      return `Revoked licence #${num(d.licence_id) ?? '?'} for ${scopeWords(str(d.scope), str(d.firearm_type) ?? '?')}${uses !== null ? ` after ${plural(uses, 'use')}` : ''}${why}.`;
    }
    case 'licence_request_approve':
      return `Approved request #${num(d.request_id) ?? '?'} once: tool ${str(d.tool) ?? '?'} (scope ${str(d.scope) ?? '?'}, ${str(d.firearm_type) ?? '?'}).`;
    case 'licence_request_deny':
      return `Denied request #${num(d.request_id) ?? '?'}: tool ${str(d.tool) ?? '?'} (scope ${str(d.scope) ?? '?'}, ${str(d.firearm_type) ?? '?'}).`;
    case 'oauth_connected':
      return `Connected through OAuth${str(d.key) ? `; vault-agent stored the refresh token as ${str(d.key)}` : ''}.`;
    case 'oauth_disconnected':
      return `Disconnected OAuth${str(d.key) ? `: the refresh token ${str(d.key)} was deleted from the vault` : ''}.`;
    case 'oauth_connect_failed':
      return `An OAuth connect did not complete${str(d.code) ? ` (${str(d.code)})` : ''}; nothing was stored.`;
    case 'oauth_refresh_failed':
      return `The connector's token refresh was refused${str(d.code) ? ` (${str(d.code)})` : ''}: connect it again.`;
    default:
      return `${visibleText(e.kind).replaceAll('_', ' ')}.`;
  }
}

/** The label of a kind for the filter, or the kind itself for one no writer here knows. */
export function kindLabel(kind: string): string {
  return EVENT_KINDS.find((k) => k.kind === kind)?.label ?? kind.replaceAll('_', ' ');
}

