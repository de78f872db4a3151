/**
 * coalesceAfterArrival(work): a function whose callers share runs of `work`, but only runs that
 * START after the caller arrived. The page cache asks "has the registry changed?", and an answer
 * begun before the request arrived could miss a commit made just before it; so a caller never
 * joins a run already under way.
 *
 * Callers arriving in the same turn of the event loop share one run, started once that turn's
 * I/O has been read (setImmediate), so under load one registry round trip answers every request
 * that came in together. Up to `maxInFlight` runs overlap, so a request does not also wait for an
 * earlier run to finish first (the wait is one round trip, not two); beyond that, callers wait
 * for a slot and still share the run that then starts.
 */
export function coalesceAfterArrival<T>(work: () => Promise<T>, maxInFlight = 2): () => Promise<T> {
  let pending: Promise<T> | null = null;
  let inFlight = 0;
  let slotFreed: (() => void) | null = null;
  let slotFree: Promise<void> | null = null;

  const waitForSlot = async () => {
    while (inFlight >= maxInFlight) {
      slotFree ??= new Promise<void>((resolve) => (slotFreed = resolve));
      await slotFree;
    }
  };
  const release = () => {
    inFlight--;
    const wake = slotFreed;
    slotFree = null;
    slotFreed = null;
    wake?.();
  };

  return () => {
    // Not started yet, so it starts after this caller arrived: share it.
    if (pending) return pending;
    const run = (async () => {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await waitForSlot();
      // From here on, a new caller gets a run of its own: this one is starting.
      pending = null;
      inFlight++;
      try {
        return await work();
      } finally {
        release();
      }
    })();
    pending = run;
    return run;
  };
}
