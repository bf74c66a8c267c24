import { toError } from '../errors.js';
import { defaultLogger, type Logger } from '../logger.js';

/** Something with a graceful stop: a bus (`metro`), an outbox relay, a scheduler worker, an rpc. */
export interface Stoppable {
  stop(): Promise<unknown>;
}

/** Options of {@link stopOnSignals}. */
export interface StopOnSignalsOptions {
  /** Default `['SIGTERM', 'SIGINT']`. */
  readonly signals?: ReadonlyArray<NodeJS.Signals>;
  /** Exit the process once everything stopped (code 0, or 1 when a stop failed). Default true. */
  readonly exit?: boolean;
  /** Default: core's `defaultLogger`. */
  readonly logger?: Logger;
}

/**
 * Stops `parts` in the order given (consumers first, say, then the relay) on the first SIGTERM or
 * SIGINT, each finishing its in-flight work, then exits. A second signal while stopping exits at
 * once (code 1). This is how a service stops under `metro-dev` (which sends SIGTERM before each
 * restart), a container runtime or a process manager. Returns a function that removes the
 * listeners.
 *
 * @example
 * ```ts
 * await metro.start();
 * await relay.start();
 * stopOnSignals([metro, relay]);
 * ```
 */
export function stopOnSignals(parts: ReadonlyArray<Stoppable>, options: StopOnSignalsOptions = {}): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const logger = options.logger ?? defaultLogger;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'stopping gracefully');
    void stopAll(parts, logger).then((ok) => {
      if (options.exit !== false) process.exit(ok ? 0 : 1);
    });
  };
  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}

async function stopAll(parts: ReadonlyArray<Stoppable>, logger: Logger): Promise<boolean> {
  let ok = true;
  for (const part of parts) {
    try {
      await part.stop();
    } catch (err) {
      ok = false;
      logger.error({ err: toError(err) }, 'a part failed to stop');
    }
  }
  return ok;
}
