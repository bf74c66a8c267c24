import type { Codec } from '../codec.js';
import { jsonEnvelopeCodec } from '../codecs/json-envelope-codec.js';
import { toMilliseconds } from '../duration.js';
import { ConfigurationError } from '../errors.js';
import { defaultLogger, type Logger } from '../logger.js';
import { memoryDeferredStore } from '../memory/in-memory-deferred-store.js';
import { memoryFailureStore } from '../memory/in-memory-failure-store.js';
import { resolveRetryPolicy, type RetryPolicy } from '../retry-policy.js';
import type { DeferredStore } from '../stores/deferred-store.js';
import type { FailureStore } from '../stores/failure-store.js';
import type { Transport } from '../transport.js';
import type { MetroOptions } from './metro-types.js';

/** {@link MetroOptions} with every default applied and every duration in milliseconds. */
export interface BusSettings {
  readonly service: string;
  readonly transport: Transport;
  readonly logger: Logger;
  readonly codec: Codec;
  readonly failures: FailureStore;
  readonly deferred: DeferredStore;
  readonly baseRetry: RetryPolicy;
  readonly handlerTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly concurrency: number;
  readonly prefetch: number;
  readonly stopTimeoutMs: number;
  readonly requeueDelayMs: number;
}

const NAME = /^[A-Za-z0-9_.:-]+$/;

/** Throws a {@link ConfigurationError} unless `name` is usable in a queue name. */
export function assertName(kind: 'service' | 'subscription' | 'queue', name: string): void {
  if (!NAME.test(name)) throw new ConfigurationError(`Invalid ${kind} name "${name}": use letters, digits, '-', '_', '.' or ':'.`);
}

/**
 * Applies the defaults documented on {@link MetroOptions}.
 *
 * @example
 * ```ts
 * const settings = resolveBusSettings({ service: 'billing', transport });
 * settings.prefetch; // 32
 * ```
 */
export function resolveBusSettings(options: MetroOptions<never>): BusSettings {
  assertName('service', options.service);
  const concurrency = options.concurrency ?? 16;
  return {
    service: options.service,
    transport: options.transport,
    logger: options.logger ?? defaultLogger,
    codec: options.codec ?? jsonEnvelopeCodec,
    failures: options.failures ?? memoryFailureStore(),
    deferred: options.deferred ?? memoryDeferredStore(),
    baseRetry: resolveRetryPolicy(options.retry),
    handlerTimeoutMs: toMilliseconds(options.handlerTimeout ?? '5m'),
    maxMessageBytes: options.maxMessageBytes ?? 1024 * 1024,
    concurrency,
    prefetch: options.prefetch ?? concurrency * 2,
    stopTimeoutMs: toMilliseconds(options.stopTimeout ?? '10s'),
    requeueDelayMs: toMilliseconds(options.requeueDelay ?? '1s'),
  };
}
