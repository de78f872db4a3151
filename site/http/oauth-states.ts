/**
 * OAuth connect's one-time `state` values (RFC 6749 §10.12) and their PKCE verifiers (RFC 7636),
 * in this process's memory only: never written to a file, the database, a log or a page.
 *
 * A state is 256 random bits, bound to the operator's session that pressed Connect and good for
 * 10 minutes, once. The callback is refused (and nothing is written) when its state is missing,
 * unknown (a typo, another run of the site), expired, already used, or issued to another session:
 * a code someone else obtained cannot be planted into this operator's connector. A used state is
 * remembered until it would have expired, so a replay is told apart from a made-up one.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { OAuthPort, PendingConnect, StateRefusal } from '../src/lib/ports.ts';

/** How long the operator has at the provider before the callback is refused. */
export const STATE_TTL_MS = 10 * 60 * 1000;
/** Connects in flight at most (each needs a logged-in operator); the oldest goes first. */
export const MAX_STATES = 256;

const STATE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

interface Entry {
  pending: PendingConnect;
  sessionId: string;
  at: number;
  used: boolean;
}

export function createOAuthStates(now: () => number = Date.now): OAuthPort {
  const entries = new Map<string, Entry>(); // insertion order = oldest first
  const sweep = () => {
    for (const [state, e] of entries) if (now() - e.at > STATE_TTL_MS) entries.delete(state);
    while (entries.size >= MAX_STATES) entries.delete(entries.keys().next().value!);
  };
  return {
    begin(sessionId, pending) {
      sweep();
      const state = randomBytes(32).toString('base64url');
      const verifier = randomBytes(32).toString('base64url'); // 43 characters of the unreserved set
      entries.set(state, { pending: { ...pending, verifier }, sessionId, at: now(), used: false });
      return { state, codeChallenge: createHash('sha256').update(verifier).digest('base64url') };
    },
    finish(state, sessionId) {
      if (!state) return refuse('missing');
      const e = STATE_PATTERN.test(state) ? entries.get(state) : undefined;
      if (!e) return refuse('unknown');
      if (now() - e.at > STATE_TTL_MS) {
        entries.delete(state);
        return refuse('expired');
      }
      if (e.sessionId !== sessionId) return refuse('other_session');
      if (e.used) return refuse('replayed');
      e.used = true;
      return { ok: true, pending: e.pending };
    },
  };
}

function refuse(reason: StateRefusal): { ok: false; reason: StateRefusal } {
  return { ok: false, reason };
}
