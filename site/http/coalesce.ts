/**
 * coalesceAfterArrival(work): a function whose callers share runs of `work`, but only runs that
 * START after the caller arrived. A caller that comes while a run is in flight waits for the next
 * run (which all such callers share) rather than joining the one in flight, whose answer may
 * predate the caller: the page cache asks "has the registry changed?", and an answer begun before
 * the request arrived could miss a commit made just before it.
 *
 * At most one run is in flight and one is queued, so under load the cost of `work` is shared by
 * every request that arrived during the previous run, while an idle server runs it at once.
 */
export function coalesceAfterArrival<T>(work: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | null = null;
  let queued: Promise<T> | null = null;
  const ignore = () => undefined;

  const start = (): Promise<T> => {
    const run = work();
    running = run;
    const clear = () => {
      if (running === run) running = null;
    };
    run.then(clear, clear);
    return run;
  };

  return () => {
    // Not started yet, so it starts after this caller arrived: share it.
    if (queued) return queued;
    if (!running) return start();
    queued = running.then(ignore, ignore).then(() => {
      queued = null;
      return start();
    });
    return queued;
  };
}
