/**
 * A firearm call waiting for the operator: with a client that declared URL-mode elicitation
 * (MCP 2025-11-25), the runtime sends the approval page as an `elicitation/create` request in
 * `url` mode and, while the operator decides out of band, looks at the registry every `pollMs`.
 * The wait ends when the call may run (approval or licence: consumed at once, like any call), when
 * the request is denied or gone, when the user declines or cancels the elicitation, when the
 * client cancels the call, or after `waitMs`. When the decision arrives the client is told with
 * `notifications/elicitation/complete`.
 */
import { randomUUID } from 'node:crypto';
import { checkAndConsume, getRequest, type FirearmCall } from '../registry/licences.ts';
import type { RegistryLink } from './registry-link.ts';

/** How the gate talks to the client during the wait (the tool call's own request channel). */
export interface Elicitor {
  /** Sends `elicitation/create` with mode url; resolves with the client's action. */
  elicitUrl(params: { elicitationId: string; url: string; message: string }, timeoutMs: number): Promise<{ action: 'accept' | 'decline' | 'cancel' }>;
  /** Sends `notifications/elicitation/complete`. */
  complete(elicitationId: string): Promise<void>;
  /** Sends a progress notification when the client asked for them (keeps its request timeout alive). */
  progress(done: number, total: number, message: string): Promise<void>;
}

export type WaitOutcome =
  | { allowed: true; useId: number; licenceId: number | null; requestId: number | null }
  | { allowed: false; outcome: 'refused' | 'denied'; reason: 'timed_out' | 'declined' | 'cancelled' | 'elicitation_failed' | 'denied' | 'expired' | 'spent_by_another_call' };

export interface WaitOptions {
  link: RegistryLink;
  call: FirearmCall;
  requestId: number;
  url: string;
  message: string;
  elicitor: Elicitor;
  signal: AbortSignal;
  waitMs: number;
  pollMs: number;
  log: (line: string) => void;
}

export async function waitForDecision(o: WaitOptions): Promise<WaitOutcome> {
  const elicitationId = `licence-request-${o.requestId}-${randomUUID()}`;
  const started = Date.now();
  const deadline = started + o.waitMs;
  let stopped: WaitOutcome | null = null;
  let wake: () => void = () => undefined;
  const stop = (outcome: WaitOutcome) => {
    stopped ??= outcome;
    wake();
  };

  o.elicitor.elicitUrl({ elicitationId, url: o.url, message: o.message }, o.waitMs).then(
    (answer) => {
      if (answer.action !== 'accept') stop({ allowed: false, outcome: 'refused', reason: answer.action === 'decline' ? 'declined' : 'cancelled' });
    },
    (err: unknown) => {
      o.log(`the client did not take the approval page of licence request ${o.requestId}: ${(err as Error).message}`);
      stop({ allowed: false, outcome: 'refused', reason: 'elicitation_failed' });
    },
  );
  const onAbort = () => stop({ allowed: false, outcome: 'refused', reason: 'cancelled' });
  o.signal.addEventListener('abort', onAbort, { once: true });
  const done = (outcome: WaitOutcome, decided: boolean): WaitOutcome => {
    if (decided) o.elicitor.complete(elicitationId).catch(() => undefined);
    return outcome;
  };

  try {
    if (o.signal.aborted) onAbort();
    for (;;) {
      const left = deadline - Date.now();
      if (stopped) return stopped;
      if (left <= 0) return { allowed: false, outcome: 'refused', reason: 'timed_out' };
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(o.pollMs, left));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (stopped) return stopped;

      // A poll that finds nothing writes nothing (not even the registry generation).
      const check = await o.link.run((db) => checkAndConsume(db, o.call));
      if (check.ok && check.value.allowed) {
        const { useId, licenceId, requestId } = check.value;
        return done({ allowed: true, useId, licenceId, requestId }, true);
      }
      const request = await o.link.run((db) => getRequest(db, o.requestId));
      const status = request.ok ? request.value?.status : undefined;
      if (status === 'denied') return done({ allowed: false, outcome: 'denied', reason: 'denied' }, true);
      if (status === 'expired' || status === 'spent' || (request.ok && request.value === null)) {
        return done({ allowed: false, outcome: 'refused', reason: status === 'spent' ? 'spent_by_another_call' : 'expired' }, true);
      }
      const waited = Date.now() - started;
      await o.elicitor.progress(waited, o.waitMs, `waiting for the operator's decision on licence request ${o.requestId}`).catch(() => undefined);
    }
  } finally {
    o.signal.removeEventListener('abort', onAbort);
    wake = () => undefined;
  }
}
