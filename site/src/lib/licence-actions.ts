/**
 * The licence routes (DESIGN.md "Site contract"): grant, revoke, approve a request once, deny it.
 * Each one reads its body, checks what it can against the registry, and then either
 *  - asks for confirmation (grant, revoke, approve without `confirm=yes` / `"confirm": true`): a
 *    form post gets a page saying in plain words what the licence allows, a JSON post 400
 *    `confirmation_required` with the same words in its message; or
 *  - does it through the LicencesPort (which writes the registry_events row with the operator's
 *    name) and answers `{"ok":true,...}` or a 303 to /licences with a flash.
 * Refusals carry a code; site/src/lib/api.ts maps codes to statuses.
 */
import { z } from 'zod';
import { SLUG_RE, isJson, json, notFound, parseBody, redirect, statusFor } from './api.ts';
import { formatTime } from './format.ts';
import {
  ONE_SHOT_MINUTES,
  argumentsText,
  clientWords,
  durationWords,
  scopeWords,
  usesWords,
  visibleText,
} from './licence-words.ts';
import { getLicenceTarget, type LicenceTarget } from './queries/licences.ts';
import type { LicenceRequestView, LicenceView, SiteLocals } from './ports.ts';
import { confirmField, confirmed, needsConfirmation, postOnly, respond, type ConfirmView, type Outcome } from './confirm.ts';

type Locals = Pick<SiteLocals, 'db' | 'licences' | 'actor' | 'log'>;
type Failure = { code: string; message: string; flash?: Record<string, string> };

const LICENCES = '/licences';
const MAX_MINUTES = 10_080;
const MAX_USES = 1_000_000;
const ID_RE = /^[1-9]\d{0,14}$/;

function refusal(request: Request, f: Failure): Response {
  if (f.code === 'not_found') return notFound(request, f.message);
  return isJson(request)
    ? json(statusFor(f.code), { ok: false, code: f.code, message: f.message })
    : redirect(LICENCES, { error: f.code, ...f.flash });
}

const refuse = (request: Request, f: Failure): Outcome => respond(refusal(request, f));

// ---------------------------------------------------------------------------------------------
// Body shapes (JSON is strict; forms may also carry csrf; empty form fields mean "not given")

const wholeNumber = z.union([z.number().int(), z.string().trim().regex(/^\d{1,9}$/).transform(Number)]);
const optionalWhole = z
  .union([z.null(), z.literal(''), wholeNumber])
  .optional()
  .transform((v) => (v === '' || v == null ? null : v));
const optionalText = (max: number) =>
  z
    .string()
    .max(max)
    .nullable()
    .optional()
    .transform((v) => (v && v.trim() !== '' ? v.trim() : null));

const grantBody = z.object({
  provider_slug: z.string().regex(SLUG_RE),
  firearm_type: z.string().regex(/^[A-Z][A-Z0-9_]{0,99}$/),
  scope: optionalText(200),
  duration_minutes: wholeNumber.refine((m) => m >= 1 && m <= MAX_MINUTES),
  max_uses: optionalWhole.refine((u) => u === null || (u >= 1 && u <= MAX_USES)),
  note: optionalText(500),
  request_id: optionalWhole.refine((id) => id === null || id >= 1),
  confirm: confirmField,
});
const GRANT_RULES = `duration_minutes is a whole number from 1 to ${MAX_MINUTES} (7 days); max_uses is empty or a whole number from 1 to ${MAX_USES}; a note has at most 500 characters`;

const decisionBody = z.object({ confirm: confirmField });

// ---------------------------------------------------------------------------------------------
// POST /api/licences

export async function grantAction(request: Request, locals: Locals): Promise<Outcome> {
  const wrongMethod = postOnly(request);
  if (wrongMethod) return respond(wrongMethod);
  const parsed = await parseBody(request, grantBody);
  if (!parsed.ok) return refuse(request, { code: 'invalid_input', message: `${parsed.message}. ${GRANT_RULES}.` });
  const b = parsed.data;
  const target = await getLicenceTarget(locals.db, b.provider_slug);
  if (!target) return refuse(request, { code: 'not_found', message: `No connector "${b.provider_slug}" in the registry.` });
  const problem = grantProblem(target, b.firearm_type, b.scope);
  if (problem) return refuse(request, problem);
  let asked: LicenceRequestView | null = null;
  if (b.request_id !== null) {
    asked = await locals.licences.getRequest(b.request_id);
    if (!asked) return refuse(request, { code: 'not_found', message: `No licence request ${b.request_id}.` });
    if (asked.status !== 'pending') return refuse(request, alreadyDecided(asked));
    if (asked.provider_slug !== target.provider_slug || asked.firearm_type !== b.firearm_type || (b.scope !== null && b.scope !== asked.scope)) {
      return refuse(request, {
        code: 'firearm_type_mismatch',
        message: `request ${asked.id} asked for ${asked.provider_slug} ${asked.scope} (${asked.firearm_type}); this licence would not cover it.`,
      });
    }
  }

  if (!confirmed(b.confirm)) {
    const ofType = target.firearm_scopes.filter((s) => s.firearm_type === b.firearm_type);
    const label = ofType[0]?.firearm_label;
    const until = new Date(Date.now() + b.duration_minutes * 60_000);
    const fields: Record<string, string> = {
      provider_slug: target.provider_slug,
      firearm_type: b.firearm_type,
      scope: b.scope ?? '',
      duration_minutes: String(b.duration_minutes),
      max_uses: b.max_uses === null ? '' : String(b.max_uses),
      note: b.note ?? '',
      ...(asked ? { request_id: String(asked.id) } : {}),
    };
    return needsConfirmation(
      request,
      {
        title: 'Grant a firearm licence?',
        lead:
          `Granting this licence lets agents using ${target.display_name} run its ${b.firearm_type} firearm tools ` +
          `(${scopeWords(b.scope, b.firearm_type)}) without asking again, ${usesWords(b.max_uses)}, for ${durationWords(b.duration_minutes)}`,
        facts: [
          { term: 'Connector', detail: `${target.display_name} (${target.provider_slug})` },
          { term: 'Firearm type', detail: label ? `${b.firearm_type}: ${label}` : b.firearm_type },
          {
            term: 'Scopes',
            detail: b.scope ? `${b.scope} only` : `every ${b.firearm_type} scope of this connector: ${ofType.map((s) => s.name).join(', ')}`,
          },
          { term: 'For', detail: `${durationWords(b.duration_minutes)} from when you confirm, until about ${formatTime(until)}` },
          { term: 'Calls', detail: b.max_uses === null ? 'any number of calls until it expires or is revoked' : usesWords(b.max_uses) },
          ...(b.note ? [{ term: 'Note', detail: b.note }] : []),
          ...(asked ? [{ term: 'Answers', detail: `request #${asked.id} (${asked.tool}): the call waiting for it runs under this licence` }] : []),
        ],
        action: '/api/licences',
        fields,
        confirmLabel: 'Grant licence',
        cancelHref: asked ? `${LICENCES}#request-${asked.id}` : `/connectors/${target.provider_slug}#firearms`,
      },
      'grant it',
    );
  }

  const result = await locals.licences.grant({
    providerSlug: target.provider_slug,
    firearmType: b.firearm_type,
    scope: b.scope,
    durationMinutes: b.duration_minutes,
    maxUses: b.max_uses,
    note: b.note,
    fromRequestId: asked?.id ?? null,
    actor: locals.actor,
  });
  locals.log(`licence grant ${target.provider_slug} ${b.firearm_type}: ${result.ok ? `licence ${result.licence.id}` : result.code}`);
  if (!result.ok) return refuse(request, { ...result, flash: { connector: target.provider_slug } });
  const l = result.licence;
  return respond(
    isJson(request)
      ? json(200, { ok: true, id: l.id, provider_slug: l.provider_slug, firearm_type: l.firearm_type, scope: l.scope, expires_at: l.expires_at, max_uses: l.max_uses, request_id: l.request_id })
      : redirect(LICENCES, { granted: String(l.id) }, `#licence-${l.id}`),
  );
}

function grantProblem(target: LicenceTarget, firearmType: string, scope: string | null): Failure | null {
  if (target.status !== 'approved') {
    return {
      code: 'connector_not_approved',
      message: `"${target.provider_slug}" is ${target.status}, not approved: a licence can be granted only for an approved connector. Review and approve it on /connectors/${target.provider_slug} first.`,
      flash: { connector: target.provider_slug },
    };
  }
  const types = [...new Set(target.firearm_scopes.map((s) => s.firearm_type))];
  if (!types.includes(firearmType)) {
    return {
      code: 'firearm_type_mismatch',
      message: types.length
        ? `"${target.provider_slug}" has no scope of firearm type ${firearmType}; its firearm types are ${types.join(', ')}.`
        : `"${target.provider_slug}" has no firearm scope, so there is nothing to license.`,
    };
  }
  if (scope !== null && !target.firearm_scopes.some((s) => s.name === scope && s.firearm_type === firearmType)) {
    return { code: 'firearm_type_mismatch', message: `"${target.provider_slug}" has no ${firearmType} firearm scope named ${visibleText(scope)}.` };
  }
  return null;
}

function alreadyDecided(r: LicenceRequestView): Failure {
  return {
    code: 'conflict',
    message: `licence request ${r.id} is already ${r.status}${r.decided_by ? ` (by ${r.decided_by})` : ''}; nothing was changed.`,
  };
}

/** The `{id}` route parameter as a number, or null (then the route answers 404). */
function idParam(raw: string | undefined): number | null {
  return raw && ID_RE.test(raw) ? Number(raw) : null;
}

// ---------------------------------------------------------------------------------------------
// POST /api/licences/{id}/revoke

export async function revokeAction(request: Request, locals: Locals, rawId: string | undefined): Promise<Outcome> {
  const wrongMethod = postOnly(request);
  if (wrongMethod) return respond(wrongMethod);
  const id = idParam(rawId);
  const licence = id === null ? null : await locals.licences.getLicence(id);
  if (!licence) return refuse(request, { code: 'not_found', message: `No licence ${rawId ?? ''}.` });
  const parsed = await parseBody(request, decisionBody);
  if (!parsed.ok) return refuse(request, { code: 'invalid_input', message: parsed.message });
  if (licence.revoked_at) {
    return refuse(request, { code: 'conflict', message: `licence ${licence.id} was already revoked by ${licence.revoked_by}; nothing was changed.` });
  }
  if (!confirmed(parsed.data.confirm)) {
    const target = await getLicenceTarget(locals.db, licence.provider_slug);
    const name = target?.display_name ?? licence.provider_slug;
    return needsConfirmation(
      request,
      {
        title: `Revoke licence #${licence.id}?`,
        lead: `Revoking ends this licence at once: the next ${licence.firearm_type} call of ${name} (${scopeWords(licence.scope, licence.firearm_type)}) is refused unless another licence covers it`,
        facts: licenceFacts(licence, name),
        action: `/api/licences/${licence.id}/revoke`,
        fields: {},
        confirmLabel: 'Revoke licence',
        cancelHref: `${LICENCES}#licence-${licence.id}`,
      },
      'revoke it',
    );
  }
  const result = await locals.licences.revoke(licence.id, locals.actor);
  locals.log(`licence revoke ${licence.id}: ${result.ok ? 'revoked' : result.code}`);
  if (!result.ok) return refuse(request, result);
  return respond(
    isJson(request)
      ? json(200, { ok: true, id: result.licence.id, revoked_at: result.licence.revoked_at })
      : redirect(LICENCES, { revoked: String(result.licence.id) }, '#active'),
  );
}

function licenceFacts(l: LicenceView, name: string): ConfirmView['facts'] {
  return [
    { term: 'Connector', detail: `${name} (${l.provider_slug})` },
    { term: 'Firearm type', detail: l.firearm_type },
    { term: 'Scopes', detail: l.scope ? `${l.scope} only` : `every ${l.firearm_type} scope of this connector` },
    { term: 'Granted', detail: `by ${l.granted_by}, ${formatTime(l.granted_at)}` },
    { term: 'Expires', detail: formatTime(l.expires_at) },
    { term: 'Used', detail: l.max_uses === null ? `${l.uses} calls (no limit)` : `${l.uses} of ${l.max_uses} calls` },
    ...(l.note ? [{ term: 'Note', detail: l.note }] : []),
  ];
}

// ---------------------------------------------------------------------------------------------
// POST /api/licence-requests/{id}/approve and /deny

async function pendingRequest(
  request: Request,
  locals: Locals,
  rawId: string | undefined,
): Promise<{ ok: true; asked: LicenceRequestView; confirm: boolean } | { ok: false; response: Response }> {
  const id = idParam(rawId);
  const asked = id === null ? null : await locals.licences.getRequest(id);
  if (!asked) return { ok: false, response: refusal(request, { code: 'not_found', message: `No licence request ${rawId ?? ''}.` }) };
  const parsed = await parseBody(request, decisionBody);
  if (!parsed.ok) return { ok: false, response: refusal(request, { code: 'invalid_input', message: parsed.message }) };
  if (asked.status !== 'pending') return { ok: false, response: refusal(request, alreadyDecided(asked)) };
  return { ok: true, asked, confirm: confirmed(parsed.data.confirm) };
}

export async function approveRequestAction(request: Request, locals: Locals, rawId: string | undefined): Promise<Outcome> {
  const wrongMethod = postOnly(request);
  if (wrongMethod) return respond(wrongMethod);
  const found = await pendingRequest(request, locals, rawId);
  if (!found.ok) return respond(found.response);
  const { asked } = found;
  const target = await getLicenceTarget(locals.db, asked.provider_slug);
  if (target && target.status !== 'approved') {
    return refuse(request, {
      code: 'connector_not_approved',
      message: `"${target.provider_slug}" is ${target.status}, not approved: a request can be approved only for an approved connector. Review and approve it on /connectors/${target.provider_slug} first.`,
      flash: { connector: target.provider_slug },
    });
  }
  if (!found.confirm) {
    const name = target?.display_name ?? asked.provider_slug;
    const until = new Date(Date.now() + ONE_SHOT_MINUTES * 60_000);
    return needsConfirmation(
      request,
      {
        title: `Approve request #${asked.id} once?`,
        lead: `Approving lets exactly one call of ${visibleText(asked.tool)} on ${name} run, with exactly the arguments below, within ${ONE_SHOT_MINUTES} minutes; any other call still needs a licence`,
        facts: [
          { term: 'Connector', detail: `${name} (${asked.provider_slug})` },
          { term: 'Tool', detail: visibleText(asked.tool) },
          { term: 'Scope', detail: `${visibleText(asked.scope)} (firearm type ${asked.firearm_type})` },
          { term: 'Asked by', detail: `${clientWords(asked.client_name, asked.client_version)}, ${formatTime(asked.requested_at)}` },
          { term: 'Allows', detail: 'one call, with exactly these arguments (their sha256 must match)' },
          { term: 'Within', detail: `${ONE_SHOT_MINUTES} minutes of your confirmation, until about ${formatTime(until)}` },
        ],
        arguments: argumentsText(asked.arguments),
        action: `/api/licence-requests/${asked.id}/approve`,
        fields: {},
        confirmLabel: 'Approve once',
        cancelHref: `${LICENCES}#request-${asked.id}`,
      },
      'approve it',
    );
  }
  const result = await locals.licences.approveRequest(asked.id, locals.actor);
  locals.log(`licence request ${asked.id} approve: ${result.ok ? 'approved' : result.code}`);
  if (!result.ok) return refuse(request, result);
  return respond(
    isJson(request)
      ? json(200, { ok: true, id: result.request.id, status: result.request.status, approval_expires_at: result.request.approval_expires_at })
      : redirect(LICENCES, { approved: String(result.request.id) }, '#requests'),
  );
}

export async function denyRequestAction(request: Request, locals: Locals, rawId: string | undefined): Promise<Response> {
  const wrongMethod = postOnly(request);
  if (wrongMethod) return wrongMethod;
  const found = await pendingRequest(request, locals, rawId);
  if (!found.ok) return found.response;
  const result = await locals.licences.denyRequest(found.asked.id, locals.actor);
  locals.log(`licence request ${found.asked.id} deny: ${result.ok ? 'denied' : result.code}`);
  if (!result.ok) return refusal(request, result);
  return isJson(request)
    ? json(200, { ok: true, id: result.request.id, status: result.request.status })
    : redirect(LICENCES, { denied: String(result.request.id) }, '#requests');
}
