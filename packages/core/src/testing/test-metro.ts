import { InMemoryTransport } from '../memory/in-memory-transport.js';
import { memoryDeferredStore, type InMemoryDeferredStore } from '../memory/in-memory-deferred-store.js';
import { memoryFailureStore, type InMemoryFailureStore } from '../memory/in-memory-failure-store.js';
import { memoryInbox, type InMemoryInbox } from '../memory/in-memory-inbox.js';
import { createMetro } from '../bus/metro.js';
import { silentLogger } from '../logger.js';
import type { Metro, MetroOptions } from '../bus/metro-types.js';

/** Options of {@link createTestMetro}: `createMetro`'s, with the transport and stores optional. */
export interface TestMetroOptions extends Omit<MetroOptions<undefined>, 'transport' | 'failures' | 'deferred' | 'inbox'> {
  /** Share one broker between several test services. Default: a new InMemoryTransport. */
  readonly transport?: InMemoryTransport;
  readonly failures?: InMemoryFailureStore;
  readonly deferred?: InMemoryDeferredStore;
  readonly inbox?: InMemoryInbox;
}

/** A Metro on the in-memory transport with in-memory stores, plus `drain()`. */
export interface TestMetro extends Metro<undefined> {
  readonly transport: InMemoryTransport;
  readonly failures: InMemoryFailureStore;
  readonly deferred: InMemoryDeferredStore;
  readonly inbox: InMemoryInbox;
  /** Waits until every queue of the transport is idle: nothing ready, unacked, delayed or being handled. */
  drain(): Promise<void>;
}

/**
 * A Metro for tests: in-memory transport and stores, a silent logger (pass `logger` to see
 * warnings and errors), and short retry delays by default
 * (`{ delay: '10ms', maxDelay: '100ms' }`, override with `retry`).
 *
 * @example
 * ```ts
 * const metro = createTestMetro({ service: 'billing' });
 * metro.on(OrderPlaced, handler);
 * await metro.start();
 * await metro.publish(OrderPlaced, { orderId: '1' });
 * await metro.drain();
 * expect((await metro.failures.list()).items).toHaveLength(0);
 * await metro.stop();
 * ```
 */
export function createTestMetro(options: TestMetroOptions): TestMetro {
  // Quiet by default (failures are what tests provoke): pass `logger` to see warnings and errors.
  const logger = options.logger ?? silentLogger;
  const transport = options.transport ?? new InMemoryTransport({ logger });
  const failures = options.failures ?? memoryFailureStore();
  const deferred = options.deferred ?? memoryDeferredStore();
  const inbox = options.inbox ?? memoryInbox();
  const metro = createMetro<undefined>({
    ...options,
    logger,
    retry: { delay: '10ms', maxDelay: '100ms', ...options.retry },
    transport,
    failures,
    deferred,
    inbox,
  });
  return Object.assign(metro, { transport, failures, deferred, inbox, drain: () => transport.whenIdle() }) as TestMetro;
}
