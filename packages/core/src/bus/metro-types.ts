import type { Codec } from '../codec.js';
import type { CommandDefinition, EventDefinition, Payload, PayloadInput } from '../definitions.js';
import type { Duration } from '../duration.js';
import type { Envelope } from '../envelope.js';
import type { BatchHandler, BatchOptions, InboxBatchHandler, InboxBatchOptions } from '../dispatch/batch-types.js';
import type { HandlerContext, InboxHandlerContext } from '../dispatch/handler-context.js';
import type { UnroutedHandler } from '../dispatch/dispatcher.js';
import type { HealthOptions, HealthReport } from '../health/health-report.js';
import type { Logger } from '../logger.js';
import type { PublishOptions } from '../publish-options.js';
import type { RateLimit } from '../rate-limit/rate-limit.js';
import type { RateLimiterStats } from '../rate-limit/rate-gates.js';
import type { RetryOptions } from '../retry-policy.js';
import type { DeferredStore } from '../stores/deferred-store.js';
import type { FailureStore } from '../stores/failure-store.js';
import type { Inbox } from '../stores/inbox.js';
import type { Binding, Delivery, Transport } from '../transport.js';
import type { UnroutableEventStats } from '../unroutable-policy.js';

/** A message handler: gets the validated payload and the {@link HandlerContext}. */
export type Handler<P, Trx = unknown> = (payload: P, ctx: HandlerContext<Trx>) => unknown;

/** A handler registered with `{ inbox: true }`: its `ctx.trx` is the inbox transaction, always defined. */
export type InboxHandler<P, Trx = unknown> = (payload: P, ctx: InboxHandlerContext<Trx>) => unknown;

/** Options of `createMetro`. Defaults are listed per option. */
export interface MetroOptions<Trx = unknown> {
  /** This service's name: commands sent to it arrive on its queue, and it is the `source` of what it publishes. */
  readonly service: string;
  /**
   * The name of the service queue (and the prefix of its subscriptions' queues), when it must
   * differ from `service` (django-microservices-communication's `QUEUE` next to `APP_ID`).
   * Default: `service`.
   */
  readonly queue?: string | undefined;
  /**
   * Bindings of the service queue declared without a handler (django-microservices-communication's
   * `BINDS`): what they bring in goes to the catch-all handlers (`metro.onAny`), else to
   * `onUnrouted`. Each is `{ topic, pattern = '#' }`, plus `external` / `exchangeType` / `codec`
   * as on an {@link EventRoute}.
   */
  readonly bindings?: ReadonlyArray<QueueBinding> | undefined;
  /**
   * `'sync'`: every `publish` and `send` of this bus (and of its handlers' contexts) runs this
   * process's matching handlers in place, once, and rejects with the first handler error instead
   * of going through the broker (messagio's `fire(sync=True)`; for scripts and tests). One call
   * can ask for it with `{ sync: true }`. Default `'async'` (through the transport).
   */
  readonly mode?: 'async' | 'sync' | undefined;
  readonly transport: Transport;
  /** Where failed messages go. Default: `memoryFailureStore()` (lost on exit: use `pgFailureStore(db)` in production). */
  readonly failures?: FailureStore | undefined;
  /** Where `ctx.defer()` puts messages. Default: `memoryDeferredStore()`. */
  readonly deferred?: DeferredStore | undefined;
  /**
   * Enables `inbox: true` handlers (effectively-once). Its transaction type is the `ctx.trx` of
   * those handlers: `createInbox({ db })` (`@metro/outbox-pg`) on a `Kysely<Database>` gives
   * `Transaction<Database>`.
   */
  readonly inbox?: Inbox<Trx> | undefined;
  /** pino-compatible. Default: {@link defaultLogger} (warnings and errors to stderr); pass `silentLogger` to silence it. */
  readonly logger?: Logger | undefined;
  /** Default `jsonEnvelopeCodec`. */
  readonly codec?: Codec | undefined;
  /** Default retry policy of every handler: `{ attempts: 3, backoff: 'exponential', delay: '1s', maxDelay: '1m' }`. */
  readonly retry?: RetryOptions | undefined;
  /** A handler that has not settled after this fails with `HandlerTimeoutError`. Default `'5m'`. */
  readonly handlerTimeout?: Duration | undefined;
  /** Bigger messages are recorded as failed (`oversized`, body truncated to 64 KiB). Default 1 MiB. */
  readonly maxMessageBytes?: number | undefined;
  /** Messages handled at once per queue. Default 16. */
  readonly concurrency?: number | undefined;
  /** Unacked messages the broker may push ahead per queue. Default 2 x concurrency. */
  readonly prefetch?: number | undefined;
  /** How long `stop()` lets in-flight handlers finish before aborting them (their messages are requeued). Default `'10s'`. */
  readonly stopTimeout?: Duration | undefined;
  /** `stop()` also closes the transport. Default true. */
  readonly closeTransport?: boolean | undefined;
  /** Pause before requeueing a message whose retry publish or failure write failed (broker/db down). Default `'1s'`. */
  readonly requeueDelay?: Duration | undefined;
}

/** Options of one handler. */
export interface HandlerOptions {
  /** Stable name (failure records, retries and replays refer to it). Default `${topic}.${subject}#${index}`, or `${service}:${type}` for commands. */
  readonly name?: string;
  /** Higher runs first among the handlers of one message. Default 0. */
  readonly priority?: number;
  /** Overrides Metro's `retry` for this handler (merged over it). */
  readonly retry?: RetryOptions;
  /** Overrides Metro's `handlerTimeout`. */
  readonly timeout?: Duration;
  /** Run inside the inbox (needs createMetro `inbox`): at most once per message id; `ctx.trx` is its transaction. */
  readonly inbox?: boolean;
  /**
   * At most this many messages per period for this handler, in this process; the queue's other
   * handlers keep their own pace. A message over the limit waits in process when its slot is at
   * most 1 s away and fewer than a quarter of the queue's `concurrency` already wait; otherwise a
   * copy for this handler alone goes back to the queue with a delay ending at its slot (the
   * message's other handlers run now). See {@link RateLimit} for the burst. Not applied in `sync` mode.
   *
   * @example
   * ```ts
   * metro.on(OrderPlaced, (order) => crm.push(order), { rateLimit: { messages: 20, per: '1s' } });
   * ```
   */
  readonly rateLimit?: RateLimit;
}

/** Options of a handler that runs inside the inbox: its `ctx.trx` is defined ({@link InboxHandlerContext}). */
export interface InboxHandlerOptions extends HandlerOptions {
  readonly inbox: true;
}

/** A route without a definition: handlers get the raw (unvalidated) `data`. */
export interface EventRoute {
  readonly topic: string;
  /** Literal subject, AMQP pattern with `*` / `#` words, or a RegExp (binds `#`, filtered in process). */
  readonly subject: string | RegExp;
  /** Exchange type if Metro declares the topic. Default `topic`. */
  readonly exchangeType?: Binding['exchangeType'];
  /** The exchange belongs to another system: bind only, never declare it. */
  readonly external?: boolean;
  /** Decode messages of this topic with this codec (e.g. `aggregateEnvelopeCodec`, `plainJsonCodec`). */
  readonly codec?: Codec;
}

/** A binding of the service queue declared in `createMetro({ bindings })`, with or without a handler. */
export interface QueueBinding {
  readonly topic: string;
  /** AMQP topic pattern (`*` one word, `#` any). Default `'#'`: everything the topic carries. */
  readonly pattern?: string;
  /** Exchange type if Metro declares the topic. Default `topic`. */
  readonly exchangeType?: Binding['exchangeType'];
  /** The exchange belongs to another system: bind only, never declare it. */
  readonly external?: boolean;
  /** Decode messages of this topic with this codec (e.g. `aggregateEnvelopeCodec`, `serviceCommandCodec`). */
  readonly codec?: Codec;
}

/** Options of a catch-all handler (`onAny`). */
export interface CatchAllOptions extends HandlerOptions {
  /**
   * Run only for the events no other handler of the queue matched (django-microservices-communication's
   * `default_consumer`). Default false: every event the queue's bindings bring in.
   */
  readonly fallback?: boolean;
}

/** Where handlers are registered: the service queue (`metro`) or a named subscription. */
export interface SubscriptionScope<Trx = unknown> {
  /** The queue this scope consumes. */
  readonly queue: string;
  /** Subscribes a handler that runs inside the inbox (`{ inbox: true }`): `ctx.trx` is its transaction. */
  on<D extends EventDefinition>(definition: D, handler: InboxHandler<Payload<D>, Trx>, options: InboxHandlerOptions): void;
  /** Subscribes a handler to an event definition (payload validated and typed by its schema). */
  on<D extends EventDefinition>(definition: D, handler: Handler<Payload<D>, Trx>, options?: HandlerOptions): void;
  /** Subscribes an inbox handler (`{ inbox: true }`) to a topic and subject pattern (raw data). */
  on(route: EventRoute, handler: InboxHandler<unknown, Trx>, options: InboxHandlerOptions): void;
  /** Subscribes a handler to a topic and subject pattern (raw data). */
  on(route: EventRoute, handler: Handler<unknown, Trx>, options?: HandlerOptions): void;
  /**
   * A catch-all consumer: a handler (retries, failures, priority, as any other) of every event any
   * binding of this queue brings in, whatever its topic and subject, with the raw `data`
   * (`ctx.envelope` says what it is). Adds no binding. With `{ fallback: true }` it runs only for
   * the events no other handler matched.
   *
   * @example
   * ```ts
   * const metro = createMetro({ service: 'audit', transport, bindings: [{ topic: 'orders' }, { topic: 'users', pattern: 'user.*' }] });
   * metro.onAny((data, ctx) => audit.write(ctx.envelope.topic, ctx.envelope.type, data));
   * ```
   */
  onAny(handler: Handler<unknown, Trx>, options?: CatchAllOptions): void;
  /** Subscribes a batch handler that runs inside the inbox (`{ inbox: true }`): one transaction per batch, `ctx.trx` is it. */
  onBatch<D extends EventDefinition>(definition: D, handler: InboxBatchHandler<Payload<D>, Trx>, options: InboxBatchOptions): void;
  /**
   * Subscribes a batch handler to an event definition: it gets up to `maxSize` validated messages
   * at once, or fewer once the first has waited `maxWait` (for handlers that write in bulk). Each
   * message is settled when its batch is: acked when the handler returns, except the messages it
   * failed (`ctx.fail(item, err)` or a thrown `BatchItemsError`), which go to the retry policy
   * one by one. Any other error fails every message of the batch (each retried or recorded on its
   * own). See the package README, "Batch consume".
   *
   * @example
   * ```ts
   * metro.onBatch(OrderPlaced, async (batch, ctx) => {
   *   await db.insertInto('orders').values(batch.map((item) => ({ id: item.data.orderId }))).execute();
   * }, { maxSize: 100, maxWait: '50ms', name: 'store-orders' });
   * ```
   */
  onBatch<D extends EventDefinition>(definition: D, handler: BatchHandler<Payload<D>, Trx>, options?: BatchOptions): void;
  /** Receives every event of this queue that no handler matched (it is acked either way). */
  onUnrouted(handler: UnroutedHandler): void;
}

/** Options of `metro.subscription(name, options)`. */
export interface SubscriptionOptions {
  readonly concurrency?: number;
  readonly prefetch?: number;
  /**
   * At most this many messages per period from this queue, in this process: the consumer takes
   * each delivery's token before dispatching it, so at most `prefetch` messages leave the broker
   * ahead of their slot and the rest stay queued there. See {@link RateLimit} for the burst.
   *
   * @example
   * ```ts
   * const emails = metro.subscription('emails', { rateLimit: { messages: 10, per: '1s' }, prefetch: 20 });
   * emails.on(UserSignedUp, (user) => mailer.sendWelcome(user.email));
   * ```
   */
  readonly rateLimit?: RateLimit;
}

/** Counters of one bus since it was created (`metro.stats()`). */
export interface MetroStats {
  /**
   * Events published to no queue (nobody subscribes to them yet) that their `accept` unroutable
   * policy let through: `accepted` in all, and per `topic.subject`.
   */
  readonly unroutable: UnroutableEventStats;
  /** Each rate limiter (of a subscription, or of a handler): messages admitted, waiting in process now, deferred through the broker. */
  readonly rateLimits: ReadonlyArray<RateLimiterStats>;
}

/** The bus. Create it with `createMetro`. */
export interface Metro<Trx = unknown> extends SubscriptionScope<Trx> {
  readonly service: string;
  readonly transport: Transport;
  readonly failures: FailureStore;
  readonly deferred: DeferredStore;
  /** Registers the one handler of a command, run inside the inbox (`{ inbox: true }`): `ctx.trx` is its transaction. */
  handle<D extends CommandDefinition>(definition: D, handler: InboxHandler<Payload<D>, Trx>, options: InboxHandlerOptions): void;
  /** Registers the one handler of a command sent to this service. A second one is a ConfigurationError. */
  handle<D extends CommandDefinition>(definition: D, handler: Handler<Payload<D>, Trx>, options?: HandlerOptions): void;
  /**
   * Registers the one handler of a command as a batch handler run inside the inbox (`{ inbox: true }`): one transaction per batch, `ctx.trx` is it.
   *
   * @example
   * ```ts
   * metro.handleBatch(ImportRow, async (batch, ctx) => {
   *   await ctx.trx.insertInto('rows').values(batch.map((item) => item.data)).execute();
   * }, { inbox: true, maxSize: 10 });
   * ```
   */
  handleBatch<D extends CommandDefinition>(definition: D, handler: InboxBatchHandler<Payload<D>, Trx>, options: InboxBatchOptions): void;
  /**
   * Registers the one handler of a command sent to this service as a batch handler: what
   * `onBatch` is for events (up to `maxSize` validated commands at once, or fewer once the first
   * has waited `maxWait`; each settled with its batch, the ones it fails retried one by one), on
   * the service queue. A command still has one handler: `handle` and `handleBatch` of the same
   * command is a ConfigurationError. See the package README, "Batch consume".
   *
   * A batch waits in the service queue's slots (`createMetro`'s `concurrency` and `prefetch`,
   * 16 and 32 by default), so `maxSize` must fit them.
   *
   * @example
   * ```ts
   * const metro = createMetro({ service: 'importer', transport, concurrency: 1000, prefetch: 1000 });
   * metro.handleBatch(ImportRow, async (batch) => {
   *   await db.insertInto('rows').values(batch.map((item) => item.data)).execute();
   * }, { maxSize: 500, maxWait: '100ms' });
   * ```
   */
  handleBatch<D extends CommandDefinition>(definition: D, handler: BatchHandler<Payload<D>, Trx>, options?: BatchOptions): void;
  /** A named subscription: its handlers consume their own queue `${queue}.${name}` (the service queue's name, `service` by default). */
  subscription(name: string, options?: SubscriptionOptions): SubscriptionScope<Trx>;
  /**
   * Validates and publishes an event; resolves with its envelope once the broker confirmed. When
   * no queue receives it, the event's unroutable policy decides (option `unroutable`, else the
   * definition's, else `'accept'`): `'accept'` resolves (the event is logged and counted in
   * `stats().unroutable`), `'error'` rejects with `UnroutableError`.
   */
  publish<D extends EventDefinition>(definition: D, payload: PayloadInput<D>, options?: PublishOptions): Promise<Envelope<Payload<D>>>;
  /** Validates and sends a command to its service; resolves once the broker confirmed. Rejects with `UnroutableError` when that service has no queue yet. */
  send<D extends CommandDefinition>(definition: D, payload: PayloadInput<D>, options?: PublishOptions): Promise<Envelope<Payload<D>>>;
  /** Declares the queues and bindings and starts consuming. Idempotent. */
  start(): Promise<void>;
  /** Stops consuming, lets in-flight handlers finish (up to `stopTimeout`), settles, closes. Safe to call twice. */
  stop(options?: { closeTransport?: boolean }): Promise<void>;
  /**
   * Replays a failed message into the queue it failed on (only its failed handler runs, when it
   * had one). With `payload`, the envelope's data is replaced (validated against the handler's
   * schema when known). Resolves false if the failure is not in `failed` status.
   */
  retryFailure(id: string, options?: { payload?: unknown }): Promise<boolean>;
  /** Removes a deferred message for good. Resolves false if there is none with that seq. */
  completeDeferred(seq: number): Promise<boolean>;
  /**
   * Dispatches a deferred message again (to the handler that deferred it): takes it from the
   * deferred store (atomic, so resuming twice, even at once, publishes once), publishes it to its
   * queue, and puts it back if the publish fails. Resolves false if there is none.
   *
   * Not crash-safe: the store and the broker share no transaction, so a process that dies after
   * the take and before the broker's confirm loses the message (publishing before the take would
   * instead send it twice when two resumes overlap). With `pgDeferredStore`, operator tooling
   * should resume with its `resumeThroughOutbox(seq)` instead: one transaction with the outbox
   * (the admin API does so when it is given no bus).
   *
   * @example
   * ```ts
   * const [oldest] = (await metro.deferred.list({ type: 'placed' })).items;
   * if (oldest !== undefined) await metro.resumeDeferred(oldest.seq);
   * ```
   */
  resumeDeferred(seq: number): Promise<boolean>;
  /**
   * Counters since `createMetro`: the unroutable events accepted, and the rate limiters' counts.
   *
   * @example
   * ```ts
   * const { unroutable } = metro.stats(); // { accepted: 2, byDestination: { 'orders.placed': 2 } }
   * const [crm] = metro.stats().rateLimits; // { queue: 'billing', handler: 'crm', admitted: 120, waiting: 2, deferred: 40 }
   * ```
   */
  stats(): MetroStats;
  /**
   * The bus's health, from in-process state (never waits on the broker): `<service>.bus` (started?),
   * `<service>.connection.<role>` per transport connection (connected, blocked by a broker alarm,
   * reconnecting since when) and `<service>.consumers` (each queue's consumer attached?). A broker
   * outage makes it unhealthy (not ready) but never fails liveness: the bus reconnects by itself.
   * Serve it to Kubernetes with `createHealthHandler({ sources: [metro] })`.
   *
   * @example
   * ```ts
   * const report = await metro.health();
   * if (!report.ready) console.log(report.checks['billing.connection.consume']?.message);
   * ```
   */
  health(options?: HealthOptions): Promise<HealthReport>;
  /** The dispatch step of a queue (default the service queue), for benchmarks and custom runtimes. */
  dispatcher(subscription?: string): (delivery: Delivery) => Promise<void>;
}
