import type { Kysely } from 'kysely';
import { ConfigurationError, toMilliseconds, type Duration, type Logger, type Transport } from '@metro/core';
import type { NotificationSource } from '../database/notifications.js';
import { schemaName } from '../identifiers.js';
import type { OutboxRelayHealthOptions } from './relay-health.js';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions {
  /** The database holding the outbox table (its rows are claimed in transactions of their own). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** Where the rows are published. */
  readonly transport: Transport;
  /** Default `metro`. */
  readonly schema?: string;
  /** Wakes the relay the moment a row is committed (`pgNotifications(pool)` / `pgliteNotifications(pglite)`). */
  readonly listen?: NotificationSource;
  /** Rows claimed and published per transaction. Default 100. */
  readonly batchSize?: number;
  /** Fallback poll interval. Default `'1s'` with `listen`, `'100ms'` without. */
  readonly pollInterval?: Duration;
  /** `'aggregate'`: rows with the same `aggregateId` are published in insertion order. Default `'none'`. */
  readonly ordering?: 'none' | 'aggregate';
  /** Keep sent rows this long (status `sent`), or `0` to delete them when sent. Default 0. */
  readonly retention?: Duration | 0;
  /**
   * Attempts before a row that cannot be published (e.g. unroutable under the `error` policy) is
   * marked `failed`. Default 10. (A topic row no queue receives under the `accept` policy, the
   * default, is done at once: logged, counted in `stats().unroutable`, marked sent.)
   */
  readonly maxAttempts?: number;
  /** First delay before re-trying such a row; doubles per attempt up to 5 minutes. Default `'1s'`. */
  readonly retryDelay?: Duration;
  /**
   * Batches in flight at once, each its own claim transaction, so the next batches are claimed and
   * published while earlier ones await their confirms. Each holds a pool connection while in
   * flight; a crash can republish up to `concurrency x batchSize` rows. Default 2.
   *
   * Throughput follows the rows in flight: to drain a backlog fast, keep 1,000 or more
   * (`batchSize: 100, concurrency: 16`, or `batchSize: 1000, concurrency: 4`) and give the pool a
   * connection per lane.
   */
  readonly concurrency?: number;
  /** Where batch failures (`warn`), rows given up on (`error`) and batch timings (`debug`) go. Default: core's `defaultLogger` (stderr). */
  readonly logger?: Logger;
  /** Names and thresholds of `relay.health()` (lag: degraded past 30 s, unhealthy past 5 min; database check timeout 1 s). */
  readonly health?: OutboxRelayHealthOptions;
}

/** {@link OutboxRelayOptions} resolved: defaults applied, numbers checked, durations in milliseconds. */
export interface RelaySettings {
  readonly schema: string;
  readonly batchSize: number;
  readonly pollMs: number;
  readonly ordering: 'none' | 'aggregate';
  /** 0: sent rows are deleted with the batch's commit. */
  readonly retentionMs: number;
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  /** Lanes: batches in flight at once. */
  readonly concurrency: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new ConfigurationError(`createOutboxRelay: ${name} must be a positive integer, got ${String(value)}.`);
  return value;
}

/** Resolves and checks a relay's options (throws `InvalidIdentifierError` or `ConfigurationError`). */
export function relaySettings(options: OutboxRelayOptions): RelaySettings {
  const schema = schemaName(options.schema);
  const batchSize = positiveInteger('batchSize', options.batchSize, 100);
  const pollMs = toMilliseconds(options.pollInterval ?? (options.listen ? '1s' : '100ms'));
  const ordering = options.ordering ?? 'none';
  const retentionMs = options.retention === undefined || options.retention === 0 ? 0 : toMilliseconds(options.retention);
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts, 10);
  const retryDelayMs = toMilliseconds(options.retryDelay ?? '1s');
  const concurrency = positiveInteger('concurrency', options.concurrency, 2);
  return { schema, batchSize, pollMs, ordering, retentionMs, maxAttempts, retryDelayMs, concurrency };
}
