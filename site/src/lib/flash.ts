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
  connector_not_approved: 'It is not approved, so there is no approval to revoke. Reload the page to see its status.',
};
const KPI_REASONS: Record<string, string> = {
  conflict: 'The mapping changed after this page was loaded, so it was not approved. Review it below and approve again.',
  not_found: 'That mapping is no longer in the manifest. Reload the page.',
  retired: 'This connector is retired and read-only.',
  invalid_body: 'The form was incomplete. Reload the page and try again.',
  stale_digest: 'The connector changed after this page was loaded, so no mapping was approved. Review its mappings below and approve again.',
  connector_not_approved: 'All mappings can be approved at once only for an approved connector: approve the connector first, or approve the mappings one by one.',
};

export function readFlash(params: URLSearchParams, declaredKeys: string[]): Flash | null {
  const set = params.get('set');
  if (set && KEY_NAME_RE.test(set) && declaredKeys.includes(set)) {
    return { kind: 'ok', card: 'auth', key: set, text: `Key ${set} was set. vault-agent stored it; it is not shown anywhere.` };
  }
  if (params.get('approved') === '1') {
    return { kind: 'ok', card: 'status', text: 'Approved this connector: its manifest and every file of its folder, at the digest shown.' };
  }
  if (params.get('approval_revoked') === '1') {
    return {
      kind: 'ok',
      card: 'status',
      text: 'Approval revoked: the connector is a draft again, gets no key until it is approved again, and its firearm licences were revoked.',
    };
  }
  const all = params.get('kpis_approved');
  if (all && /^\d{1,6}$/.test(all)) {
    const n = Number(all);
    return { kind: 'ok', card: 'kpis', text: n === 0 ? 'Every mapping was already approved.' : `Approved ${n} KPI mapping${n === 1 ? '' : 's'}.` };
  }
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
