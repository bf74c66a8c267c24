import type { TransportHealth } from './health/transport-health.js';

/**
 * The seam between the bus and a broker. The bus speaks only this interface; `InMemoryTransport`
 * (core) and `AmqpTransport` (@metro/transport-amqp) implement it, and both pass the same contract
 * suite (`@metro/core/testing`). Adding a transport means writing one class that passes that suite.
 *
 * Bytes in, bytes out: a transport knows nothing of envelopes, schemas or handlers.
 */
export interface Transport {
  /** A short name for logs, e.g. `'amqp'`, `'memory'`. */
  readonly name: string;

  /** Connects. Idempotent; the other methods call it implicitly. */
  start(): Promise<void>;

  /**
   * Declares a durable queue and its bindings, idempotently. A transport that reconnects
   * re-declares everything it was asked to declare.
   */
  declareQueue(declaration: QueueDeclaration): Promise<void>;

  /**
   * Publishes one message. Resolves only when the broker has taken responsibility for it
   * (publisher confirm); rejects with `UnroutableError` when no queue receives it (mandatory; this
   * includes a topic nothing ever declared, a command route no service declared, a queue that does not exist),
   * `PublishError` on a nack or when the connection is lost before the confirm, and
   * `TransportClosedError` after `close()`. Every call settles in bounded time.
   * A transport always reports an unroutable message, events included: whether an event nobody
   * receives is an error is its unroutable policy, which the bus and the outbox relays apply above
   * the transport (see `UnroutablePolicy`).
   * With `delayMs`, the message reaches its destination no sooner than that.
   */
  publish(message: OutgoingMessage): Promise<void>;

  /**
   * Consumes a queue. `onDelivery` is called for each message, at most `concurrency` at once;
   * it must settle the delivery (ack / requeue / reject). If it throws without settling, the
   * transport requeues the delivery. Never calls `onDelivery` with anything but a real message.
   */
  consume(queue: string, onDelivery: DeliveryHandler, options?: ConsumeOptions): Promise<Consumer>;

  /**
   * Sends a request and resolves with the reply. Rejects with `UnroutableError` when no queue
   * receives the request, `RequestTimeoutError` after `timeoutMs` (a late reply is dropped; so is
   * a request sitting in a queue nobody consumes), the signal's reason when aborted, and
   * `TransportClosedError` when the transport closes first.
   */
  request(message: OutgoingMessage, options: RequestOptions): Promise<ReplyMessage>;

  /** Ready (not unacknowledged) depth and consumer count of a queue, or `undefined` if it does not exist. */
  inspectQueue(queue: string): Promise<QueueStats | undefined>;

  /**
   * Deletes a queue with the messages in it, its bindings and its command route, and forgets its
   * declaration (a reconnect does not bring it back). A transport may own companion queues of a
   * queue (RabbitMQ's `<queue>.expired`); they go too. A queue that does not exist is no error.
   * Rejects with `ConfigurationError` while this transport consumes the queue: cancel that
   * consumer first.
   *
   * @example
   * ```ts
   * // tearing down a retired service, or a test's queues
   * await transport.deleteQueue('billing');
   * ```
   */
  deleteQueue(queue: string): Promise<void>;

  /**
   * Stops consumers (waiting for in-flight `onDelivery` calls), waits for outstanding confirms,
   * then disconnects. Safe to call twice.
   */
  close(): Promise<void>;

  /**
   * Optional: the state of its connections and consumers, from memory (no I/O, returns at once),
   * for `metro.health()`. A transport without it is reported by the bus's own view only.
   *
   * @example
   * ```ts
   * const { connections, consumers } = transport.health?.() ?? { connections: [], consumers: [] };
   * ```
   */
  health?(): TransportHealth;
}

/** Where a message goes. */
export type Destination =
  /** An event: to a topic (exchange), routed by subject (routing key) to every bound queue. */
  | { readonly kind: 'topic'; readonly topic: string; readonly subject: string }
  /** A command: to the command route of one service (its queue). */
  | { readonly kind: 'command'; readonly service: string }
  /** Straight into one queue: retries, replays of failures, resumed deferred messages, RPC requests. */
  | { readonly kind: 'queue'; readonly queue: string };

/** Header values a transport carries. */
export type HeaderValue = string | number | boolean;

/** Transport-level properties of a message. */
export interface MessageProperties {
  /** The message's id (the envelope id for Metro's own messages); kept across retries and replays. */
  readonly messageId: string;
  /** MIME type of `body` (Metro's envelope: `application/cloudevents+json`). */
  readonly contentType: string;
  /** Application headers (Metro's `metro-*` ones among them), carried as they are. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** Priority 0-255 (a queue declared with `maxPriority` honours it). */
  readonly priority?: number | undefined;
  /** The broker may drop the message after this many ms in a queue (AMQP `expiration`). */
  readonly expiresInMs?: number | undefined;
  /** Publish time in ms since the epoch. */
  readonly timestamp?: number | undefined;
}

/** A message to publish or request: where it goes, its bytes and its properties. */
export interface OutgoingMessage extends MessageProperties {
  /** Where the transport routes it: a topic, a service's command route, or one queue. */
  readonly destination: Destination;
  /** The encoded message (the codec's output); the transport sends these bytes unchanged. */
  readonly body: Uint8Array;
  /** Deliver no sooner than this many ms from now. Works on a broker with no plugins. */
  readonly delayMs?: number | undefined;
}

/** A message handed to a consumer. Settle it exactly once; later calls are ignored. */
export interface Delivery extends MessageProperties {
  readonly body: Uint8Array;
  /** The queue it was consumed from (the name given to `declareQueue`, without a transport prefix). */
  readonly queue: string;
  /** The topic (exchange) it was published to, when known. */
  readonly topic?: string | undefined;
  /** The routing subject (routing key), when known. */
  readonly subject?: string | undefined;
  /** True when the broker delivered it before (to this or another consumer). */
  readonly redelivered: boolean;
  /**
   * True when the broker gave up redelivering it: it reached its queue's delivery limit (RabbitMQ
   * quorum queues' `x-delivery-limit`) and was dead-lettered to a queue this consumer also reads.
   * The bus records it as a `delivery-limit` failure and runs no handler.
   */
  readonly deliveryLimitReached?: boolean | undefined;
  /** Done with it: remove it from the queue. A no-op if the channel that delivered it is gone (the broker redelivers it). */
  ack(): Promise<void>;
  /** Put it back on the queue for redelivery now. */
  requeue(): Promise<void>;
  /** Drop it (the broker dead-letters it if the queue has a dead-letter exchange). */
  reject(): Promise<void>;
  /** Present on requests: send the reply to the caller. */
  readonly reply?: ((message: ReplyMessage) => Promise<void>) | undefined;
}

/** The reply to a request, sent with `delivery.reply(...)`. */
export interface ReplyMessage {
  /** The encoded reply. */
  readonly body: Uint8Array;
  /** MIME type of `body`. */
  readonly contentType: string;
  /** Application headers, carried to the requester as they are. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
}

/** Called by a consumer with each delivery; it settles the delivery before or when it resolves. */
export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

/**
 * One shared resolved promise that says "done already". A `Delivery`'s `ack` / `requeue` /
 * `reject` returns it when the settlement was taken synchronously, and a {@link DeliveryHandler}
 * returns it when it settled its delivery before returning (the bus's dispatcher does, for a
 * synchronous handler whose ack was taken at once). A consumer that sees it may go on at once
 * instead of awaiting it: two promises and their reactions fewer per message. Anything else is
 * awaited as usual, so a transport that does not know it stays correct.
 *
 * @example
 * ```ts
 * const result = onDelivery(delivery);
 * if (result === DELIVERY_SETTLED) next();
 * else result.then(next, onError);
 * ```
 */
export const DELIVERY_SETTLED: Promise<void> = Promise.resolve();

/** How much a consumer takes on at once. */
export interface ConsumeOptions {
  /** Unacknowledged messages the broker may push ahead. Default: transport's own (AMQP: 2 x concurrency). */
  readonly prefetch?: number;
  /** `onDelivery` calls in flight at once. Default 16. */
  readonly concurrency?: number;
}

/** One running `consume()` of a queue, returned by {@link Transport.consume}. */
export interface Consumer {
  /** The queue it consumes (the name given to `consume`, without a transport prefix). */
  readonly queue: string;
  /** Stops receiving and resolves once every in-flight `onDelivery` has returned. Safe to call twice. */
  cancel(): Promise<void>;
}

/** How long a request waits for its reply, and what may abort it. */
export interface RequestOptions {
  /** Reject with `RequestTimeoutError` when no reply arrived within this many ms. */
  readonly timeoutMs: number;
  /** Abort the wait: the request rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

/** A queue to declare, with what it receives; declaring it again with the same fields changes nothing. */
export interface QueueDeclaration {
  /** The queue name (the transport may add its configured prefix). */
  readonly queue: string;
  /** Topic bindings: the queue receives messages published to `topic` whose subject matches `pattern`. */
  readonly bindings?: ReadonlyArray<Binding>;
  /** Also receive the commands sent to this service name. */
  readonly commandsFor?: string | undefined;
  /** Enable message priorities up to this value. */
  readonly maxPriority?: number | undefined;
  /** A temporary queue that goes away with its consumer (RPC reply queues, tests). Default false. */
  readonly temporary?: boolean | undefined;
}

/** One topic binding of a queue. */
export interface Binding {
  /** The topic (exchange) to bind to. */
  readonly topic: string;
  /** AMQP topic pattern: words separated by `.`, `*` one word, `#` zero or more words. */
  readonly pattern: string;
  /** Exchange type when Metro declares the topic. Default `topic`. */
  readonly exchangeType?: 'topic' | 'fanout' | 'direct' | undefined;
  /** The exchange belongs to another system: bind to it, never declare or change it. */
  readonly external?: boolean | undefined;
}

/** What {@link Transport.inspectQueue} reports of a queue. */
export interface QueueStats {
  /** The queue's name. */
  readonly queue: string;
  /** Messages ready for delivery. */
  readonly messages: number;
  /** Consumers attached to it now, as the broker counts them. */
  readonly consumers: number;
}
