import type { Dispatcher } from '../dispatch/dispatcher.js';
import { ConfigurationError } from '../errors.js';
import type { BusState } from '../health/bus-health.js';
import type { BusSettings } from './bus-settings.js';
import { consumeLimitsOf } from './consume-limits.js';
import type { Subscriptions } from './subscriptions.js';

/** The bus's start and stop, and whether handlers may still be registered. */
export interface BusLifecycle {
  /** Declares every queue with its bindings, then consumes each; resolves once all consume. */
  start(): Promise<void>;
  /** Stops consuming, lets in-flight handlers finish (aborting them past the stop timeout), closes the transport. */
  stop(options: { closeTransport?: boolean }, closeTransportByDefault: boolean): Promise<void>;
  /** Throws unless the bus is still idle (queues and bindings are declared at start). */
  assertConfigurable(): void;
  /** Where the bus is in its life, for `metro.health()`. */
  readonly state: BusState;
  /** Why `start()` failed (state `failed`), as `Name: message`. */
  readonly startError: string | undefined;
}

/**
 * Builds the bus's lifecycle. Both `start()` and `stop()` run once; later calls get the same promise.
 *
 * @example
 * ```ts
 * const lifecycle = createLifecycle(settings, () => subscriptions);
 * await lifecycle.start();
 * await lifecycle.stop({}, true);
 * ```
 */
export function createLifecycle(settings: BusSettings, subscriptionsOf: () => Subscriptions<unknown>): BusLifecycle {
  const { service, transport, logger } = settings;
  let state: BusState = 'idle';
  let startError: string | undefined;
  let startPromise: Promise<void> | undefined;
  let stopPromise: Promise<void> | undefined;

  async function startOnce(): Promise<void> {
    state = 'starting';
    try {
      await attachConsumers();
    } catch (err) {
      state = 'failed';
      startError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw err;
    }
    state = 'started';
    logger.info({ service, queues: [...subscriptionsOf().groups.keys()] }, 'metro started');
  }

  async function attachConsumers(): Promise<void> {
    const { groups, dispatcherOf } = subscriptionsOf();
    await transport.start();
    for (const group of groups.values()) {
      await transport.declareQueue({ queue: group.queue, bindings: group.router.bindings, ...(group.commands ? { commandsFor: service } : {}) });
    }
    for (const group of groups.values()) {
      const dispatcher = dispatcherOf(group);
      group.consumer = await transport.consume(
        group.queue,
        group.rateGate?.wrap(dispatcher.dispatch) ?? dispatcher.dispatch,
        consumeLimitsOf(group.options, settings),
      );
    }
  }

  async function stopOnce(closeTransport: boolean): Promise<void> {
    const { groups, rateGates } = subscriptionsOf();
    await startPromise?.catch(() => undefined);
    state = 'stopping';
    const dispatchers = [...groups.values()].map((g) => g.dispatcher).filter((d): d is Dispatcher => d !== undefined);
    for (const d of dispatchers) d.beginStop();
    rateGates.release();
    for (const group of groups.values()) for (const batch of group.batches) batch.stop();
    const cancelled = Promise.all([...groups.values()].map((g) => g.consumer?.cancel() ?? Promise.resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      cancelled.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), settings.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      logger.warn({ service, stopTimeoutMs: settings.stopTimeoutMs }, 'handlers still running at stop timeout; aborting them (their messages are requeued)');
      for (const d of dispatchers) d.abortAll();
      for (const group of groups.values()) for (const batch of group.batches) batch.abortAll();
      await cancelled;
    }
    await Promise.all(dispatchers.map((d) => d.idle()));
    if (closeTransport) await transport.close();
    state = 'stopped';
    logger.info({ service }, 'metro stopped');
  }

  return {
    start() {
      if (state === 'stopping' || state === 'stopped')
        return Promise.reject(new ConfigurationError('This Metro was stopped; create a new one with createMetro().'));
      startPromise ??= startOnce();
      return startPromise;
    },
    stop(stopOptions, closeTransportByDefault) {
      stopPromise ??= stopOnce(stopOptions.closeTransport ?? closeTransportByDefault);
      return stopPromise;
    },
    assertConfigurable() {
      if (state !== 'idle') throw new ConfigurationError('Register handlers before metro.start(); the queues and bindings are declared at start.');
    },
    get state() {
      return state;
    },
    get startError() {
      return startError;
    },
  };
}
