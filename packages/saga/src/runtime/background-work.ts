import { toError, type Logger } from '@metro/core';

/** Work a runtime starts and does not wait for (its failures are logged), drained on close. */
export interface BackgroundWork {
  /** Starts `work`; a failure is logged as a warning naming `what`. */
  run(what: string, work: () => Promise<unknown>): void;
  /** Resolves once every started piece of work settled. */
  drain(): Promise<void>;
}

/**
 * Tracks fire-and-forget work so that nothing floats: each promise is kept until it settles and
 * `drain()` waits for all of them.
 *
 * @example
 * ```ts
 * const background = createBackgroundWork(logger);
 * background.run('prune', () => store.prune());
 * await background.drain();
 * ```
 */
export function createBackgroundWork(logger: Logger): BackgroundWork {
  const running = new Set<Promise<void>>();
  return {
    run(what, work) {
      const promise: Promise<void> = Promise.resolve()
        .then(work)
        .then(
          () => undefined,
          (err: unknown) => logger.warn({ err: toError(err) }, `saga: could not ${what}`),
        );
      running.add(promise);
      void promise.finally(() => running.delete(promise));
    },
    async drain() {
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
