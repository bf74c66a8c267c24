import { ConfigurationError, jsonEnvelopeCodec, toMilliseconds, type Codec } from '@metro/core';
import type { SchedulerWorkerOptions } from './scheduler-worker.js';
import { NOTIFY_HORIZON_MS } from './schema-names.js';

/** A worker's options resolved: defaults applied, `batchSize` checked, `pollInterval` in ms (at most 60 s). */
export interface WorkerSettings {
  readonly batchSize: number;
  readonly pollMs: number;
  readonly codec: Codec;
}

/**
 * Resolves `createSchedulerWorker`'s options; throws a `ConfigurationError` for a `batchSize` that
 * is not a positive integer.
 *
 * @example
 * ```ts
 * workerSettings({ db, listen }); // { batchSize: 100, pollMs: 10000, codec: jsonEnvelopeCodec }
 * ```
 */
export function workerSettings(options: SchedulerWorkerOptions): WorkerSettings {
  const batchSize = options.batchSize ?? 100;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new ConfigurationError(`Invalid batchSize ${String(batchSize)}: use a positive integer (default 100).`);
  const pollMs = Math.min(NOTIFY_HORIZON_MS, toMilliseconds(options.pollInterval ?? (options.listen ? '10s' : '1s')));
  return { batchSize, pollMs, codec: options.codec ?? jsonEnvelopeCodec };
}
