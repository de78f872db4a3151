/**
 * The firearm gate: what happens to every call of a firearm tool before its handler runs.
 *
 * 1. The registry decides (pipeline/registry/licences.ts checkAndConsume): a live licence or a
 *    one-shot approval of exactly these arguments lets the call run, and is consumed together
 *    with the call's firearm_uses row.
 * 2. Otherwise a pending request is recorded (or the identical one reused) with the arguments,
 *    key values redacted, for the operator to read; a client that declared URL-mode elicitation
 *    is sent the approval page and the call waits (bounded) for the decision.
 * 3. A call that does not run is a firearm_uses row too (refused or denied).
 *
 * Fails closed: a registry that is unreachable, slow or erroring refuses the call. A licence the
 * client claims in `_meta` is never trusted.
 */
import { checkAndConsume, finishUse, recordRequest, recordUse, type FirearmCall } from '../registry/licences.ts';
import { argumentsSha256, canonicalValue } from './canonical-json.ts';
import { approveUrl, spell, type LicenceSettings } from './licence.ts';
import type { RegistryLink } from './registry-link.ts';
import { waitForDecision, type Elicitor } from './licence-wait.ts';

export interface GateCall {
  providerSlug: string;
  displayName: string;
  tool: string;
  scope: string;
  firearmType: string;
  /** The arguments the handler would run with. */
  args: unknown;
  /** The MCP client's name and version from its initialize request. */
  client?: { name?: string; version?: string };
  /** Whatever the client put under `_meta["connector-factory/licence"]`: only mentioned, never trusted. */
  claimedLicence?: unknown;
  signal: AbortSignal;
  /** Present when the client declared URL-mode elicitation: the call may wait for the decision. */
  elicitor?: Elicitor;
}

/** Why a firearm call did not run; a stable code for clients and for firearm_uses.reason. */
export type RefusalReason =
  | 'registry_unreachable'
  | 'registry_slow'
  | 'registry_error'
  | 'connector_unknown'
  | 'connector_not_approved'
  | 'not_a_firearm_scope'
  | 'no_licence'
  | 'timed_out'
  | 'declined'
  | 'cancelled'
  | 'elicitation_failed'
  | 'denied'
  | 'expired'
  | 'spent_by_another_call';

export interface Refusal {
  reason: RefusalReason;
  message: string;
  requestId?: number;
  approveUrl?: string;
  requestReused?: boolean;
  metaLicenceIgnored?: boolean;
}

export type GateDecision =
  | { run: true; licenceId: number | null; requestId: number | null; finish(outcome: 'succeeded' | 'failed', code?: string): Promise<void> }
  | { run: false; refusal: Refusal };

export interface FirearmGate {
  authorize(call: GateCall): Promise<GateDecision>;
}

export interface GateDeps {
  link: RegistryLink;
  settings: LicenceSettings;
  /** Key values out of the arguments kept for the operator (SecretValues.redactDeep). */
  redact: <T>(value: T) => T;
  log: (line: string) => void;
}

export function createFirearmGate(deps: GateDeps): FirearmGate {
  const { link, settings, log } = deps;

  const allowed = (fc: FirearmCall, useId: number, licenceId: number | null, requestId: number | null, started: number): GateDecision => ({
    run: true,
    licenceId,
    requestId,
    async finish(outcome, code) {
      const reason = code === undefined ? undefined : /^[a-z_]{1,64}$/.test(code) ? code : 'handler_failed';
      const done = await link.run((db) => finishUse(db, useId, outcome, performance.now() - started, reason));
      if (!done.ok) log(`could not record the outcome of ${fc.tool} (firearm use ${useId}): ${done.message}`);
    },
  });

  return {
    async authorize(call) {
      const started = performance.now();
      const fc: FirearmCall = {
        providerSlug: call.providerSlug,
        tool: call.tool,
        scope: call.scope,
        firearmType: call.firearmType,
        argumentsSha256: argumentsSha256(call.args),
        client: call.client,
      };
      const claimed = call.claimedLicence !== undefined;
      const refuse = (r: Refusal): GateDecision => ({ run: false, refusal: claimed ? { ...r, metaLicenceIgnored: true } : r });

      const first = await link.run((db) => checkAndConsume(db, fc));
      if (!first.ok) {
        log(`refused ${call.tool}: licence registry unavailable (${first.message})`);
        return refuse({ reason: first.reason, message: unavailableMessage(call, first.message) });
      }
      const check = first.value;
      if (check.allowed) return allowed(fc, check.useId, check.licenceId, check.requestId, started);
      if (check.reason === 'connector_unknown' || check.reason === 'not_a_firearm_scope') {
        log(`refused ${call.tool}: ${check.message}`);
        return refuse({ reason: check.reason, message: `${call.tool} is refused: ${check.message}. An operator must sync and approve the connector's current version first.` });
      }

      // Only the operator reads these arguments; key values never reach the registry.
      const kept = deps.redact(canonicalValue(call.args ?? {}));
      const asked = await link.run((db) => recordRequest(db, { ...fc, arguments: kept }));
      if (!asked.ok || !asked.value.ok) {
        const why = asked.ok ? (asked.value as { message: string }).message : asked.message;
        log(`refused ${call.tool}: could not record a licence request (${why})`);
        return refuse({ reason: asked.ok ? 'registry_error' : asked.reason, message: unavailableMessage(call, why) });
      }
      const { requestId, reused } = asked.value;
      // With no site named, the npm start whose registry answered says where its site is (--port).
      const site = settings.siteUrlIsDefault ? (link.siteUrl() ?? settings.siteUrl) : settings.siteUrl;
      const url = approveUrl(site, requestId);

      let ending: { outcome: 'refused' | 'denied'; reason: RefusalReason } = { outcome: 'refused', reason: check.reason };
      if (call.elicitor && settings.waitMs > 0) {
        log(`${call.tool}: waiting up to ${spell(settings.waitMs)} for the operator's decision on licence request ${requestId}`);
        const waited = await waitForDecision({
          link,
          call: fc,
          requestId,
          url,
          message: elicitationMessage(call, requestId, settings.waitMs),
          elicitor: call.elicitor,
          signal: call.signal,
          waitMs: settings.waitMs,
          pollMs: settings.pollMs,
          log,
        });
        if (waited.allowed) return allowed(fc, waited.useId, waited.licenceId, waited.requestId, started);
        ending = { outcome: waited.outcome, reason: waited.reason };
      }

      const used = await link.run((db) =>
        recordUse(db, fc, { outcome: ending.outcome, reason: ending.reason, requestId, durationMs: performance.now() - started }),
      );
      if (!used.ok) log(`could not record the refused call of ${call.tool}: ${used.message}`);
      log(`refused ${call.tool}: ${ending.reason} (licence request ${requestId})`);
      return refuse({
        reason: ending.reason,
        message: refusalMessage(call, ending.reason, requestId, url, reused, check.connectorStatus, { ...settings, siteUrl: site }),
        requestId,
        approveUrl: url,
        requestReused: reused,
      });
    },
  };
}

function unavailableMessage(call: GateCall, why: string): string {
  return (
    `${call.tool} is a firearm tool (${call.firearmType}) and the licence registry could not be checked: ${why}. ` +
    `The connector fails closed, so the call is refused and nothing was recorded. ` +
    `Ask the user to start the factory (npm start) or to give the connector DATABASE_URL, then call again.`
  );
}

function refusalMessage(
  call: GateCall,
  reason: RefusalReason,
  id: number,
  url: string,
  reused: boolean,
  connectorStatus: string | null,
  settings: LicenceSettings,
): string {
  const what = `${call.tool} is a firearm tool (${call.firearmType}, scope ${call.scope})`;
  if (reason === 'denied') {
    return `${what}. An operator denied licence request ${id} for this call, so it did not run. Do not retry it; ask the user how to proceed.`;
  }
  if (reason === 'expired' || reason === 'spent_by_another_call') {
    return (
      `${what}. Licence request ${id} was ${reason === 'expired' ? 'not approved in time and expired' : 'used by another identical call'}, ` +
      `so this call did not run. Call again to ask afresh.`
    );
  }
  const waited =
    reason === 'timed_out'
      ? `No decision came within ${spell(settings.waitMs)}. `
      : reason === 'declined' || reason === 'cancelled'
        ? `The approval page was ${reason} in the client. `
        : '';
  const asked = `Licence request ${id} ${reused ? 'is still waiting' : 'was recorded'} for a human operator`;
  const site = settings.siteUrl.replace(/\/+$/, '');
  if (reason === 'connector_not_approved') {
    return (
      `${what}, and ${call.providerSlug} is ${connectorStatus ?? 'not approved'}: no firearm call runs until an operator reviews and approves ` +
      `the connector at ${site}/connectors/${call.providerSlug}. ${waited}${asked}; once the connector is approved they can approve it at ${url}. ` +
      `Tell the user; after an approval, call ${call.tool} again with exactly the same arguments.`
    );
  }
  return (
    `${what} and no licence covers this call. ${waited}${asked}, who can approve exactly this call once, deny it, ` +
    `or grant a ${call.firearmType} licence at ${url}. Tell the user to open that page. After an approval, call ${call.tool} again ` +
    `with exactly the same arguments within 15 minutes; calling again before a decision reuses request ${id}.`
  );
}

function elicitationMessage(call: GateCall, id: number, waitMs: number): string {
  return (
    `${call.displayName} wants to run ${call.tool} (${call.firearmType}, scope ${call.scope}). ` +
    `Open the God Config to read the arguments and approve this call once, deny it, or grant a licence (request ${id}). ` +
    `The call waits up to ${spell(waitMs)}.`
  );
}
