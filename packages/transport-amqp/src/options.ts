import { ConfigurationError, defaultLogger, type Logger } from '@metro/core';
import type { Options } from 'amqplib';

/** Reconnect backoff: exponential from `initialDelayMs` to `maxDelayMs`, with full jitter on top. */
export interface ReconnectOptions {
  /** First wait after a connection or channel loss. Default 100 ms. */
  readonly initialDelayMs?: number | undefined;
  /** Longest wait between attempts. Default 10 000 ms. */
  readonly maxDelayMs?: number | undefined;
  /** Growth factor per failed attempt. Default 2. */
  readonly factor?: number | undefined;
}

/** Options of {@link AmqpTransport}. Every field is optional (`undefined` means its default, so `url: process.env.METRO_AMQP_URL` works); defaults are documented per field. */
export interface AmqpTransportOptions {
  /**
   * Broker URL; vhost and TLS (`amqps://`) go through it. Default `process.env.METRO_AMQP_URL`,
   * else `amqp://guest:guest@127.0.0.1:5672`.
   */
  readonly url?: string | undefined;
  /**
   * The nodes of a RabbitMQ cluster (or one URL). Each connection starts at a random node, so
   * instances spread over the cluster, and moves to the next node when its node cannot be reached
   * or drops it, with the reconnect backoff; topology and consumers are restored there. Give `url`
   * or `urls`, not both; a `url` (or `METRO_AMQP_URL`) with commas is a list too.
   */
  readonly urls?: ReadonlyArray<string> | undefined;
  /**
   * Extra socket options passed to amqplib (TLS certificates, `servername`, `timeout` of the connect handshake: default 10 000 ms, ...).
   * `noDelay` (TCP_NODELAY) defaults to `true`; pass `{ noDelay: false }` to turn Nagle's algorithm back on.
   */
  readonly socketOptions?: Record<string, unknown> | undefined;
  /**
   * Queue type of the durable queues Metro declares. Default `'classic'`. With `'quorum'` (for a
   * cluster) every durable queue is a quorum queue: service and subscription queues, their
   * `.expired` companions and the delay queues that carry retries and delayed messages. Temporary
   * queues stay classic (a quorum queue cannot be exclusive or auto-deleted); RPC replies use
   * direct reply-to, no queue. RabbitMQ 3.10 quorum queues have no priorities (`maxPriority` is a
   * `ConfigurationError`).
   */
  readonly queueType?: 'classic' | 'quorum' | undefined;
  /**
   * Poison messages (quorum queues only): a message delivered this many times more without being
   * settled (its consumer crashed, lost its channel, or requeued it) is dead-lettered by the broker
   * (`x-delivery-limit`) into the queue's `.expired` companion, which Metro consumes too: the bus
   * records it as a `delivery-limit` failure instead of running it again. With it, every durable
   * queue gets a companion. Metro's own retries do not count (they settle and republish).
   * Default: no limit. Changing it on an existing queue needs the queue re-created (RabbitMQ
   * refuses other arguments with a 406).
   */
  readonly deliveryLimit?: number | undefined;
  /**
   * Queues (names as given to `declareQueue`, e.g. the service name) declared with
   * `x-single-active-consumer`: of all consumers on the queue, across instances, only one receives at
   * a time, and another takes over when it stops, so messages are handled in queue order. Pair it
   * with `concurrency: 1` on that queue. Changing it on an existing queue needs the queue re-created.
   */
  readonly singleActiveConsumer?: ReadonlyArray<string> | undefined;
  /** Enables priorities up to this value on every durable queue Metro declares (a declaration's own `maxPriority` wins). */
  readonly maxPriority?: number | undefined;
  /** Default prefetch of a consumer. Default `2 x concurrency`. */
  readonly prefetch?: number | undefined;
  /** Default `onDelivery` calls in flight per consumer. Default 16. */
  readonly concurrency?: number | undefined;
  /** Prepended to every queue and exchange name Metro declares (not to external exchanges). Default `''`. */
  readonly prefix?: string | undefined;
  /** AMQP heartbeat in seconds; a dead TCP connection is detected within two intervals. Default 10. */
  readonly heartbeat?: number | undefined;
  /** pino-compatible logger. Default: core's `defaultLogger` (warnings and errors to stderr). */
  readonly logger?: Logger | undefined;
  /** Reconnect backoff after a connection or channel loss. */
  readonly reconnect?: ReconnectOptions | undefined;
  /** Longest time a publish may take, waiting for a connection included, before it rejects with `PublishError`. Default 30 000 ms. */
  readonly publishTimeoutMs?: number | undefined;
  /** Publishes allowed to wait for a connection at once; more reject at once with `PublishError`. Default 10 000. */
  readonly maxBufferedPublishes?: number | undefined;
  /** How long `start()` waits for the first connection before it rejects. Default 30 000 ms. */
  readonly connectTimeoutMs?: number | undefined;
}

/** {@link AmqpTransportOptions} with every default applied. */
export interface ResolvedAmqpOptions {
  /** The first of `urls` (named in errors). */
  readonly url: string;
  /** Every node to connect to, at least one. */
  readonly urls: ReadonlyArray<string>;
  readonly socketOptions: Options.Connect | Record<string, unknown>;
  readonly queueType: 'classic' | 'quorum';
  readonly deliveryLimit: number | undefined;
  readonly singleActiveConsumer: ReadonlySet<string>;
  readonly maxPriority: number | undefined;
  readonly prefetch: number | undefined;
  readonly concurrency: number;
  readonly prefix: string;
  readonly heartbeat: number;
  readonly logger: Logger;
  readonly reconnect: Required<ReconnectOptions>;
  readonly publishTimeoutMs: number;
  readonly maxBufferedPublishes: number;
  readonly connectTimeoutMs: number;
}

/**
 * The default broker URL: `METRO_AMQP_URL`, else the local guest account.
 *
 * @example
 * ```ts
 * new AmqpTransport({ url: defaultAmqpUrl() }); // same as new AmqpTransport()
 * ```
 */
export function defaultAmqpUrl(): string {
  return process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigurationError(`AmqpTransport option "${name}" must be a positive number, got ${value}.`);
  return value;
}

/** Why a quorum queue cannot take `maxPriority` (RabbitMQ 3.10 refuses `x-max-priority` on one with a channel error). */
export const QUORUM_PRIORITY =
  "Quorum queues do not support priorities on RabbitMQ 3.10 (it refuses 'x-max-priority'): drop maxPriority, or use queueType: 'classic' for the queues that need priorities.";

/** Why a classic queue cannot take `deliveryLimit` (RabbitMQ counts deliveries on quorum queues only). */
export const CLASSIC_DELIVERY_LIMIT =
  "deliveryLimit needs queueType: 'quorum': RabbitMQ counts deliveries (x-delivery-limit) on quorum queues only. Set queueType: 'quorum', or drop deliveryLimit.";

/** The node URLs of `url`/`urls` (commas separate several in one string), or the default's. */
function brokerUrls(options: AmqpTransportOptions): ReadonlyArray<string> {
  if (options.url !== undefined && options.urls !== undefined) {
    throw new ConfigurationError('AmqpTransport takes `url` or `urls`, not both: put every node in `urls`.');
  }
  const given = options.urls ?? [options.url ?? defaultAmqpUrl()];
  const urls = given
    .flatMap((u) => u.split(','))
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (urls.length === 0) throw new ConfigurationError('AmqpTransport option "urls" names no broker: give at least one amqp:// URL.');
  return urls;
}

/** Applies defaults and checks the options; throws `ConfigurationError` on a bad value. */
export function resolveOptions(options: AmqpTransportOptions = {}): ResolvedAmqpOptions {
  const queueType = options.queueType ?? 'classic';
  if (queueType !== 'classic' && queueType !== 'quorum') {
    throw new ConfigurationError(`AmqpTransport option "queueType" must be 'classic' or 'quorum', got ${String(queueType)}.`);
  }
  if (options.maxPriority !== undefined && (!Number.isInteger(options.maxPriority) || options.maxPriority < 1 || options.maxPriority > 255)) {
    throw new ConfigurationError(`AmqpTransport option "maxPriority" must be an integer from 1 to 255, got ${options.maxPriority}.`);
  }
  const urls = brokerUrls(options);
  if (queueType === 'quorum' && options.maxPriority !== undefined) {
    throw new ConfigurationError(QUORUM_PRIORITY);
  }
  if (options.deliveryLimit !== undefined) {
    if (!Number.isInteger(options.deliveryLimit) || options.deliveryLimit < 0) {
      throw new ConfigurationError(`AmqpTransport option "deliveryLimit" must be a non-negative integer, got ${options.deliveryLimit}.`);
    }
    if (queueType !== 'quorum') throw new ConfigurationError(CLASSIC_DELIVERY_LIMIT);
  }
  return {
    url: urls[0]!,
    urls,
    socketOptions: options.socketOptions ?? {},
    queueType,
    deliveryLimit: options.deliveryLimit,
    singleActiveConsumer: new Set(options.singleActiveConsumer ?? []),
    maxPriority: options.maxPriority,
    prefetch: options.prefetch === undefined ? undefined : positive('prefetch', options.prefetch, 1),
    concurrency: positive('concurrency', options.concurrency, 16),
    prefix: options.prefix ?? '',
    heartbeat: positive('heartbeat', options.heartbeat, 10),
    logger: options.logger ?? defaultLogger,
    reconnect: {
      initialDelayMs: positive('reconnect.initialDelayMs', options.reconnect?.initialDelayMs, 100),
      maxDelayMs: positive('reconnect.maxDelayMs', options.reconnect?.maxDelayMs, 10_000),
      factor: positive('reconnect.factor', options.reconnect?.factor, 2),
    },
    publishTimeoutMs: positive('publishTimeoutMs', options.publishTimeoutMs, 30_000),
    maxBufferedPublishes: positive('maxBufferedPublishes', options.maxBufferedPublishes, 10_000),
    connectTimeoutMs: positive('connectTimeoutMs', options.connectTimeoutMs, 30_000),
  };
}

/** Adds `heartbeat` to the URL unless it already sets one. */
export function withHeartbeat(url: string, heartbeat: number): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${heartbeat}`;
}
