/**
 * Approving a connector and revoking its approval (POST /api/connectors/{slug}/approve and
 * /revoke-approval), each with its confirmation step (./confirm.ts): without `confirm=yes` /
 * `"confirm": true` a form post gets a page saying what the approval allows or what the revocation
 * ends, and a JSON post 400 `confirmation_required` with the same words. Confirmed, the
 * ApprovalsPort writes the registry rows and the registry_events row naming the operator.
 * Refusals: form posts go back to the connector's status card with an error code (./flash.ts),
 * JSON gets `{ok:false, code, message}` with the status ./api.ts maps the code to.
 */
import { z } from 'zod';
import { SLUG_RE, answerAction, isJson, json, notFound, parseBody, redirect } from './api.ts';
import { confirmField, confirmed, needsConfirmation, postOnly, respond, type ConfirmList, type ConfirmView, type Outcome } from './confirm.ts';
import { formatAgo, formatTime } from './format.ts';
import { visibleText } from './licence-words.ts';
import { getConnector, getFileChanges, type ConnectorDetail } from './queries/detail.ts';
import { getOpenGrants } from './queries/approval.ts';
import { readVaultState, type VaultState } from './vault-state.ts';
import type { SiteLocals } from './ports.ts';

type Locals = Pick<SiteLocals, 'db' | 'vault' | 'approvals' | 'actor' | 'log'>;

const DIGEST_RE = /^[0-9a-f]{64}$/;
const approveBody = z.object({ digest: z.string().regex(DIGEST_RE), confirm: confirmField });
const revokeBody = z.object({ confirm: confirmField });

const page = (slug: string) => `/connectors/${slug}`;
const short = (digest: string) => digest.slice(0, 12);
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A refusal as the status card shows it (form) or as JSON. */
function refuse(request: Request, slug: string, failure: { code: string; message: string }): Outcome {
  return respond(
    answerAction(request, { ok: false, ...failure }, { back: page(slug), hash: '#status', done: {}, notFoundMessage: `No connector "${slug}".` }),
  );
}

// ---------------------------------------------------------------------------------------------
// POST /api/connectors/{slug}/approve

export async function approveAction(request: Request, locals: Locals, slug: string): Promise<Outcome> {
  const wrongMethod = postOnly(request);
  if (wrongMethod) return respond(wrongMethod);
  if (!SLUG_RE.test(slug)) return respond(notFound(request, 'No such connector.'));
  const parsed = await parseBody(request, approveBody);
  if (!parsed.ok) return refuse(request, slug, { code: 'invalid_body', message: `${parsed.message}. Send the connector's digest as shown on its page.` });
  const { digest } = parsed.data;
  // One statement: the digest, status and everything listed below are of one moment of the registry.
  const { connector: c } = await getConnector(locals.db, slug);
  if (!c) return respond(notFound(request, `No connector "${slug}".`));
  if (c.status === 'retired') {
    return refuse(request, slug, { code: 'retired', message: `"${slug}" is retired (its folder is gone); there is nothing to approve` });
  }
  if (c.manifest_digest !== digest) {
    return refuse(request, slug, {
      code: 'conflict',
      message: `"${slug}" changed (its manifest or code) since you opened it; reload the page and review the new version`,
    });
  }
  if (c.status === 'approved') {
    // Already approved at exactly this digest: nothing to confirm, nothing to write.
    return respond(approved(request, slug, digest, true));
  }

  if (!confirmed(parsed.data.confirm)) {
    const [vault, fileChanges] = await Promise.all([
      readVaultState(locals.vault),
      c.approved_digest ? getFileChanges(locals.db, slug) : Promise.resolve(null),
    ]);
    return needsConfirmation(request, approvalView(c, vault, fileChanges), 'approve it');
  }

  const result = await locals.approvals.approveProvider({ slug, digest, actor: locals.actor });
  locals.log(`approve ${slug}: ${result.ok ? 'approved' : result.code}`);
  if (!result.ok) return result.code === 'not_found' ? respond(notFound(request, `No connector "${slug}".`)) : refuse(request, slug, result);
  return respond(approved(request, slug, digest, false));
}

function approved(request: Request, slug: string, digest: string, already: boolean): Response {
  return isJson(request)
    ? json(200, { ok: true, status: 'approved', digest, already })
    : redirect(page(slug), { approved: '1' }, '#status');
}

/** What approving `c` allows, in plain words: the confirmation page and the JSON message. */
export function approvalView(
  c: ConnectorDetail,
  vault: VaultState,
  fileChanges: Awaited<ReturnType<typeof getFileChanges>> | null,
): ConfirmView {
  const name = c.display_name;
  const firearms = c.scopes.filter((s) => s.requires_firearm);
  const unapproved = c.kpis.filter((k) => !k.approved_at);
  const lists: ConfirmList[] = [
    {
      title: 'Firearm scopes',
      items: firearms.map((s) => ({
        name: visibleText(s.name),
        detail: `firearm type ${s.firearm_type}${s.firearm_label ? ` (${s.firearm_label})` : ''}: ${s.description}`,
      })),
      empty: 'None: no scope of this connector needs a firearm licence.',
      note: firearms.length
        ? 'An agent may use these only under a licence you grant on the connector page, or a call you approve once; approving the connector grants none.'
        : undefined,
    },
    {
      title: 'KPI mappings not approved yet',
      items: unapproved.map((k) => ({ name: `${visibleText(k.raw_metric)} → ${k.core_kpi}`, detail: `${k.core_kpi_label ?? k.core_kpi}, aggregated by ${k.aggregation}` })),
      empty: c.kpis.length ? 'None: every KPI mapping is approved.' : 'None: it maps no metric to a core KPI.',
      note: unapproved.length
        ? 'Approving the connector does not approve these: approve them on its KPI mappings card, one by one or all at once.'
        : undefined,
    },
    {
      title: 'Keys it will load from the vault',
      items: c.secrets.map((k) => ({ name: k.key_name, detail: `${k.label}, ${k.optional ? 'optional' : 'required'}, ${keyState(vault, k.key_name)}` })),
      empty: 'None: it declares no keys.',
    },
  ];
  if (fileChanges) {
    lists.push({
      title: 'Files changed since the last approval',
      items: fileChanges.changes.map((f) => ({ name: visibleText(f.path), detail: f.kind })),
      empty: 'None: its files are the approved ones.',
      note: fileChanges.recorded
        ? 'The line-by-line differences are on the connector page, under "Files changed since approval".'
        : 'The last approval recorded no files (it predates file tracking): every file counts as new; review them all.',
    });
  }
  const files = c.files.length ? `${plural(c.files.length, 'file')} in connectors/${c.provider_slug}/, the manifest included` : 'its manifest';
  return {
    title: `Approve ${name}?`,
    lead:
      `Approving records that you reviewed ${name} exactly as it is now, its manifest and every file of connectors/${c.provider_slug}/ ` +
      `(digest ${short(c.manifest_digest)}): from then on it may start with its keys from the vault, and firearm licences can be granted for its firearm scopes`,
    facts: [
      { term: 'Connector', detail: `${name} (${c.provider_slug})` },
      {
        term: 'Status',
        detail:
          c.status === 'changed' && c.approved_digest
            ? `changed since ${c.approved_by ?? 'an operator'} approved digest ${short(c.approved_digest)}, ${formatTime(c.approved_at)}`
            : 'draft: not approved',
      },
      { term: 'What is approved', detail: `${files}, digest ${short(c.manifest_digest)}` },
      { term: 'Scopes', detail: `${plural(c.scopes.length, 'scope')}, ${firearms.length} of them firearm${firearms.length === 1 ? '' : 's'}` },
    ],
    lists,
    action: `/api/connectors/${c.provider_slug}/approve`,
    fields: { digest: c.manifest_digest },
    confirmLabel: 'Approve connector',
    cancelHref: `${page(c.provider_slug)}#status`,
  };
}

function keyState(vault: VaultState, key: string): string {
  if (!vault.available) return 'set or not unknown (vault-agent is not reachable)';
  const since = vault.held.get(key);
  return since ? `set ${formatAgo(since)}` : 'not set';
}

// ---------------------------------------------------------------------------------------------
// POST /api/connectors/{slug}/revoke-approval

export async function revokeApprovalAction(request: Request, locals: Locals, slug: string): Promise<Outcome> {
  const wrongMethod = postOnly(request);
  if (wrongMethod) return respond(wrongMethod);
  if (!SLUG_RE.test(slug)) return respond(notFound(request, 'No such connector.'));
  const parsed = await parseBody(request, revokeBody);
  if (!parsed.ok) return refuse(request, slug, { code: 'invalid_body', message: parsed.message });
  const { connector: c } = await getConnector(locals.db, slug);
  if (!c) return respond(notFound(request, `No connector "${slug}".`));
  if (c.status === 'retired') {
    return refuse(request, slug, { code: 'retired', message: `"${slug}" is retired (its folder is gone); it has no approval to revoke` });
  }
  if (c.status === 'draft') {
    return refuse(request, slug, { code: 'connector_not_approved', message: `"${slug}" is draft: nobody approved it, so there is no approval to revoke` });
  }

  if (!confirmed(parsed.data.confirm)) {
    const grants = await getOpenGrants(locals.db, slug);
    return needsConfirmation(request, revocationView(c, grants), 'revoke it');
  }

  const result = await locals.approvals.revokeApproval({ slug, actor: locals.actor });
  locals.log(`revoke approval ${slug}: ${result.ok ? `draft, ${result.licencesRevoked.length} licences revoked` : result.code}`);
  if (!result.ok) return result.code === 'not_found' ? respond(notFound(request, `No connector "${slug}".`)) : refuse(request, slug, result);
  return respond(
    isJson(request)
      ? json(200, { ok: true, status: 'draft', licences_revoked: result.licencesRevoked, one_shots_expired: result.oneShotsExpired })
      : redirect(page(slug), { approval_revoked: '1' }, '#status'),
  );
}

/** What revoking the approval of `c` ends, in plain words. */
export function revocationView(c: ConnectorDetail, grants: Awaited<ReturnType<typeof getOpenGrants>>): ConfirmView {
  const name = c.display_name;
  const { licences, oneShots } = grants;
  const ends = [
    licences.length ? `its ${plural(licences.length, 'firearm licence')} ${licences.length === 1 ? 'is' : 'are'} revoked for good` : '',
    oneShots ? `${plural(oneShots, 'call approved once', 'calls approved once')} can no longer run` : '',
  ].filter(Boolean);
  return {
    title: `Revoke the approval of ${name}?`,
    lead:
      `Revoking sends ${name} back to draft, as if nobody had reviewed it: it no longer starts with its keys, no firearm call of it runs, ` +
      `and it needs a new review and approval${ends.length ? `; ${ends.join(', and ')}` : ''}`,
    facts: [
      { term: 'Connector', detail: `${name} (${c.provider_slug})` },
      {
        term: 'Approval',
        detail: `${c.approved_digest ? `digest ${short(c.approved_digest)}` : 'the last one'}, by ${c.approved_by ?? 'an operator'}, ${formatTime(c.approved_at)}${c.status === 'changed' ? ' (changed since)' : ''}`,
      },
      { term: 'Calls approved once', detail: oneShots ? `${oneShots} waiting to run: they will not` : 'none waiting' },
    ],
    notes: [
      'A connector process started before keeps the keys it loaded until it stops (stop it if you do not trust it); its firearm calls are refused at once.',
      'Kept: its keys in the vault, its KPI mapping approvals, and the record of everything that happened.',
    ],
    lists: [
      {
        title: 'Firearm licences revoked with it',
        items: licences.map((l) => ({
          name: `#${l.id} ${l.firearm_type}`,
          detail: `${l.scope ? `scope ${visibleText(l.scope)} only` : `every ${l.firearm_type} scope`}, granted by ${l.granted_by}, would expire ${formatTime(l.expires_at)}`,
        })),
        empty: 'None: no licence of this connector is open.',
        note: licences.length ? 'A revoked licence stays revoked: approving the connector again does not bring it back.' : undefined,
      },
    ],
    action: `/api/connectors/${c.provider_slug}/revoke-approval`,
    fields: {},
    confirmLabel: 'Revoke approval',
    cancelHref: `${page(c.provider_slug)}#status`,
  };
}
