/**
 * Messages after a form post, carried as codes and names in the query string (never a value,
 * never free text: a crafted link can only pick among the messages written here).
 */
import { KEY_NAME_RE } from './api.ts';
import { reasonFor } from './vault-state.ts';

export interface Flash {
  kind: 'ok' | 'error';
  /** Which card the message belongs to. */
  card: 'status' | 'kpis' | 'auth';
  text: string;
  /** For key messages: the key concerned. */
  key?: string;
}

const STALE =
  'The manifest changed after this page was loaded, so it was not approved. Review the current version below and approve again.';
const APPROVAL_REASONS: Record<string, string> = {
  conflict: STALE,
  stale_digest: STALE,
  retired: 'This connector is retired and read-only.',
  invalid_body: 'The form was incomplete. Reload the page and try again.',
};
const KPI_REASONS: Record<string, string> = {
  conflict: 'The mapping changed after this page was loaded, so it was not approved. Review it below and approve again.',
  not_found: 'That mapping is no longer in the manifest. Reload the page.',
  retired: 'This connector is retired and read-only.',
  invalid_body: 'The form was incomplete. Reload the page and try again.',
};

export function readFlash(params: URLSearchParams, declaredKeys: string[]): Flash | null {
  const set = params.get('set');
  if (set && KEY_NAME_RE.test(set) && declaredKeys.includes(set)) {
    return { kind: 'ok', card: 'auth', key: set, text: `Key ${set} was set. vault-agent stored it; it is not shown anywhere.` };
  }
  if (params.get('approved') === '1') return { kind: 'ok', card: 'status', text: 'Approved this manifest.' };
  const kpi = params.get('kpi_approved');
  if (kpi && /^[a-z][a-z0-9_]{0,100}$/.test(kpi)) return { kind: 'ok', card: 'kpis', text: `Approved the mapping to ${kpi}.` };
  const error = params.get('error');
  if (error && /^[a-z_]{1,40}$/.test(error)) {
    const key = params.get('key');
    if (key && KEY_NAME_RE.test(key) && declaredKeys.includes(key)) {
      return { kind: 'error', card: 'auth', key, text: `Key ${key} was not set. ${reasonFor(error)}` };
    }
    const card = params.get('on') === 'kpis' ? 'kpis' : 'status';
    const text = (card === 'kpis' ? KPI_REASONS : APPROVAL_REASONS)[error];
    return { kind: 'error', card, text: text ?? `That did not work (${error}). Reload the page and try again.` };
  }
  return null;
}
