/**
 * What /licences says after a form post, from codes and ids in the query string (never free
 * text: a crafted link can only pick among the messages written here).
 */
import { SLUG_RE } from './api.ts';

export interface LicenceFlash {
  kind: 'ok' | 'error';
  text: string;
  /** A connector the message is about, for a link to its page. */
  connector?: string;
}

const ID = /^[1-9]\d{0,14}$/;

const ERRORS: Record<string, string> = {
  connector_not_approved:
    'Nothing was granted: that connector is not approved. Licences and approvals are only for an approved connector; review and approve it on its page first.',
  firearm_type_mismatch:
    'Nothing was granted: the connector has no such firearm scope (its manifest may have changed since the page was loaded). Reload and try again.',
  conflict: 'Nothing was changed: that was already decided or revoked (maybe in another tab). The lists below are current.',
  invalid_input:
    'Nothing was changed: the form was incomplete or out of range (a duration from 1 minute to 7 days, max uses a whole number or empty, a note of at most 500 characters).',
  invalid_body: 'Nothing was changed: the form was incomplete. Reload the page and try again.',
};

export function readLicenceFlash(params: URLSearchParams): LicenceFlash | null {
  const id = (name: string) => {
    const v = params.get(name);
    return v && ID.test(v) ? v : null;
  };
  const granted = id('granted');
  if (granted) return { kind: 'ok', text: `Granted licence #${granted}. It applies from now; revoke it below at any time.` };
  const revoked = id('revoked');
  if (revoked) return { kind: 'ok', text: `Revoked licence #${revoked}. Calls it allowed are refused from now on.` };
  const approved = id('approved');
  if (approved) return { kind: 'ok', text: `Approved request #${approved} once: that exact call may run one time within 15 minutes.` };
  const denied = id('denied');
  if (denied) return { kind: 'ok', text: `Denied request #${denied}. The call is refused and its arguments were discarded.` };
  const error = params.get('error');
  if (error && /^[a-z_]{1,40}$/.test(error)) {
    const connector = params.get('connector');
    return {
      kind: 'error',
      text: ERRORS[error] ?? `That did not work (${error}). Reload the page and try again.`,
      ...(connector && SLUG_RE.test(connector) ? { connector } : {}),
    };
  }
  return null;
}
