/**
 * The firearm gate: a scope with `requires_firearm: true` runs only when the host grants a licence
 * of its firearm type. The runtime never decides that itself; the host (the agent platform that
 * starts the connector) fills in a LicenceChecker. Without one, every firearm call is refused.
 */

/** Where a client presents its licence: the `_meta` of the tools/call request. The value is
 * opaque to the runtime (a token, a signed grant, ...) and handed to the checker as is. */
export const LICENCE_META_KEY = 'connector-factory/licence';

export interface LicenceRequest {
  providerSlug: string;
  /** The catalogue id, e.g. CODE_DELETE. */
  firearmType: string;
  /** The real scope name from the manifest. */
  scope: string;
  /** The MCP tool name the client called. */
  tool: string;
  /** Whatever the client put under `_meta["connector-factory/licence"]`, if anything. */
  licence?: unknown;
}

export type LicenceDecision = { granted: true } | { granted: false; reason: string };

export interface LicenceChecker {
  check(request: LicenceRequest): Promise<LicenceDecision>;
}

/** The default: no host has said otherwise, so no firearm is ever licensed. */
export const denyAllLicences: LicenceChecker = {
  async check() {
    return {
      granted: false,
      reason: 'this host grants no firearm licences (no licence checker is configured)',
    };
  },
};

/** Asks the checker, failing closed: a checker that throws or answers nonsense denies. */
export async function decideLicence(checker: LicenceChecker, request: LicenceRequest): Promise<LicenceDecision> {
  try {
    const decision = await checker.check(request);
    if (decision?.granted === true) return { granted: true };
    const reason = decision?.granted === false && typeof decision.reason === 'string' ? decision.reason : undefined;
    return { granted: false, reason: reason ?? 'the licence checker did not grant a licence' };
  } catch {
    // The checker's error text could hold anything; the refusal does not repeat it.
    return { granted: false, reason: 'the licence checker failed, so the call is refused' };
  }
}
