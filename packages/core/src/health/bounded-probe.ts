/** How a {@link BoundedProbe} went: its value, its error, or no answer within the timeout. */
export type ProbeOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly ms: number }
  | { readonly ok: false; readonly timedOut: boolean; readonly error: string; readonly ms: number };

/** Runs an I/O check with a time limit; see {@link createBoundedProbe}. */
export interface BoundedProbe<T> {
  /** Runs the check (or joins the one in flight) and settles within the timeout. Never rejects. */
  run(): Promise<ProbeOutcome<T>>;
}

/**
 * Wraps an I/O check (a `select 1`, an HTTP ping) so that a health report always comes back in
 * bounded time: `run()` settles within `timeoutMs` with the value, the error, or `timedOut`. A
 * check still in flight and within its time is joined rather than started again, so probes that
 * come close together against a database that hangs do not pile up; one past its time is left to
 * settle on its own and the next `run()` starts a fresh check.
 *
 * @example
 * ```ts
 * const ping = createBoundedProbe(() => pool.query('select 1'), 1000);
 * const outcome = await ping.run();
 * if (!outcome.ok) console.log(outcome.timedOut ? 'no answer within 1 s' : outcome.error);
 * ```
 */
export function createBoundedProbe<T>(check: () => Promise<T>, timeoutMs: number): BoundedProbe<T> {
  let inFlight: { promise: Promise<ProbeOutcome<T>>; started: number; timedOut: boolean } | undefined;
  return {
    async run() {
      // Join a check still within its time; one past it was reported as timed out: start afresh (a hung one must not hold the probe forever).
      // (A timer may fire a fraction of a millisecond before performance.now() says the time is up: the flag
      // set when a run timed out decides, not the clock alone.)
      if (inFlight === undefined || inFlight.timedOut || performance.now() - inFlight.started >= timeoutMs) {
        const started = performance.now();
        let checking: Promise<T>;
        try {
          checking = check();
        } catch (err) {
          checking = Promise.reject(err);
        }
        const promise = checking
          .then(
            (value): ProbeOutcome<T> => ({ ok: true, value, ms: Math.round(performance.now() - started) }),
            (err: unknown): ProbeOutcome<T> => ({ ok: false, timedOut: false, error: errorText(err), ms: Math.round(performance.now() - started) }),
          )
          .finally(() => {
            if (inFlight?.promise === promise) inFlight = undefined;
          });
        inFlight = { promise, started, timedOut: false };
      }
      const current = inFlight;
      const { promise, started } = current;
      let timer: NodeJS.Timeout | undefined;
      const left = Math.max(0, timeoutMs - (performance.now() - started));
      const timeout = new Promise<ProbeOutcome<T>>((resolve) => {
        timer = setTimeout(() => {
          current.timedOut = true;
          resolve({ ok: false, timedOut: true, error: `no answer within ${timeoutMs} ms`, ms: Math.round(performance.now() - started) });
        }, left);
      });
      try {
        return await Promise.race([promise, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function errorText(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
