/**
 * npm start's view of the registry connection. A lost connection (a terminated backend, a server
 * restart) is logged in one line, the registry is then asked `SELECT 1` with a growing pause
 * (0.25 s doubling to 10 s) until it answers, and one more line says it is back. Meanwhile the site
 * shows a banner (`state()`), and nothing stops: not npm start, not its vault-agent.
 */
import type pg from 'pg';
import { lostReason } from '../registry/pool.ts';

export interface RegistryHealthState {
  reachable: boolean;
  /** Since when it is unreachable; null while reachable. */
  since: Date | null;
  /** The last reason, in a few words; null while reachable. */
  reason: string | null;
}

export interface RegistryHealth {
  /** A connection was lost (or a statement failed because of it). Idempotent while already probing. */
  lost(err: unknown): void;
  state(): RegistryHealthState;
  close(): void;
}

export function watchRegistryHealth(args: {
  pool: Pick<pg.Pool, 'query'>;
  log: (line: string) => void;
  /** Called once the registry answers again (npm start re-syncs if a sync was lost). */
  onBack?: () => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
}): RegistryHealth {
  const firstDelay = args.firstDelayMs ?? 250;
  const maxDelay = args.maxDelayMs ?? 10_000;
  let current: RegistryHealthState = { reachable: true, since: null, reason: null };
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const probe = (delay: number) => {
    timer = setTimeout(async () => {
      timer = undefined;
      if (closed) return;
      try {
        await args.pool.query('SELECT 1');
      } catch (err) {
        if (closed) return;
        current = { ...current, reason: lostReason(err) };
        probe(Math.min(delay * 2, maxDelay));
        return;
      }
      if (closed) return;
      const seconds = ((Date.now() - (current.since?.getTime() ?? Date.now())) / 1000).toFixed(1);
      current = { reachable: true, since: null, reason: null };
      args.log(`registry: reachable again (after ${seconds} s)`);
      args.onBack?.();
    }, delay);
    timer.unref();
  };

  return {
    lost(err) {
      if (closed || !current.reachable) return;
      current = { reachable: false, since: new Date(), reason: lostReason(err) };
      args.log(`registry: the connection was lost (${current.reason}); reconnecting, retrying with backoff`);
      probe(firstDelay);
    },
    state: () => current,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
