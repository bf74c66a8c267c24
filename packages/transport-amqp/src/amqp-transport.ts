import type { ChannelModel, Options } from 'amqplib';
import {
  QueueInUseError,
  TransportClosedError,
  type Consumer,
  type ConsumeOptions,
  type DeliveryHandler,
  type Logger,
  type OutgoingMessage,
  type QueueDeclaration,
  type QueueStats,
  type ReplyMessage,
  type RequestOptions,
  type Transport,
  type TransportHealth,
} from '@metro/core';
import { amqpCode, withThrowawayChannel } from './channel-scope.js';
import { ConnectionSupervisor } from './connection-supervisor.js';
import { AmqpConsumer, type ConsumerHost } from './consumer.js';
import { DelayTopology } from './delay-topology.js';
import { AmqpTopologyError } from './errors.js';
import { resolveOptions, type AmqpTransportOptions, type ResolvedAmqpOptions } from './options.js';
import { describeDestination, hasKeys, toRawPublish } from './outgoing.js';
import { ChannelPublisher } from './channel-publisher.js';
import type { RawPublish } from './raw-publish.js';
import { RequestReply } from './request-reply.js';
import { EXPIRED_SUFFIX, Topology } from './topology.js';

/**
 * Metro's transport for RabbitMQ (amqplib). Publishes on one connection (confirm channels,
 * mandatory), consumes on another (a channel per consumer), reconnects with backoff and re-declares
 * its topology, delays messages without plugins, and does request/reply over direct reply-to.
 *
 * @example
 * ```ts
 * import { createMetro } from '@metro/core';
 * import { AmqpTransport } from '@metro/transport-amqp';
 *
 * const transport = new AmqpTransport({ url: 'amqp://guest:guest@127.0.0.1:5672', prefetch: 32 });
 * const metro = createMetro({ service: 'billing', transport });
 * await metro.start();
 * ```
 */
export class AmqpTransport implements Transport {
  readonly name = 'amqp';
  private readonly options: ResolvedAmqpOptions;
  private readonly logger: Logger;
  private readonly publishConnection: ConnectionSupervisor;
  private readonly consumeConnection: ConnectionSupervisor;
  private readonly topology: Topology;
  private readonly delays: DelayTopology;
  private readonly publisher: ChannelPublisher;
  private readonly requests: RequestReply;
  private readonly consumers = new Set<AmqpConsumer>();
  private readonly host: ConsumerHost;
  private closing: Promise<void> | undefined;

  constructor(options: AmqpTransportOptions = {}) {
    this.options = resolveOptions(options);
    this.logger = this.options.logger;
    this.topology = new Topology(this.options, this.logger);
    this.delays = new DelayTopology(this.options.prefix, this.options.queueType);
    this.publishConnection = new ConnectionSupervisor('publish', this.options, this.logger);
    this.consumeConnection = new ConnectionSupervisor('consume', this.options, this.logger);
    this.publishConnection.onConnected(() => {
      this.topology.resetPublishCache();
      this.delays.reset();
    });
    this.consumeConnection.onConnected(async (live) => {
      if (live.generation > 1) await this.topology.redeclareAll(live.model);
      for (const consumer of [...this.consumers]) {
        await consumer.resume(live).catch((err: unknown) => {
          this.logger.warn({ err, queue: consumer.queue }, 'metro: resuming a consumer after reconnect failed; retrying');
          consumer.retryLater(live);
        });
      }
    });
    const limits = { publishTimeoutMs: this.options.publishTimeoutMs, maxBufferedPublishes: this.options.maxBufferedPublishes };
    this.publisher = new ChannelPublisher('events', this.publishConnection, limits, this.logger);
    this.requests = new RequestReply(this.publishConnection, limits, this.logger);
    const internal = new Set([this.topology.commandsExchange, this.delays.delayExchange, this.delays.delayedExchange, '']);
    this.host = {
      supervisor: this.consumeConnection,
      options: this.options,
      logger: this.logger,
      internalExchanges: internal,
      topicOf: (exchange) => this.topology.topicOf(exchange),
      redeclare: (model, queue) => this.topology.redeclare(model, queue),
      reply: (replyTo, correlationId, message) => this.reply(replyTo, correlationId, message),
      forget: (consumer) => {
        this.consumers.delete(consumer);
      },
    };
  }

  private assertOpen(): void {
    if (this.closing) throw new TransportClosedError();
  }

  /** Connects both connections (publish and consume). Idempotent; rejects with `AmqpConnectError` if the broker cannot be reached within `connectTimeoutMs`. */
  async start(): Promise<void> {
    this.assertOpen();
    await Promise.all([this.publishConnection.whenReady(this.options.connectTimeoutMs), this.consumeConnection.whenReady(this.options.connectTimeoutMs)]);
  }

  /**
   * Declares a durable queue (plus its `.expired` companion), its topic bindings and its command
   * route, idempotently; remembered and re-declared after every reconnect.
   * Rejects with `AmqpTopologyError` when an external exchange is missing or a name clashes.
   */
  async declareQueue(declaration: QueueDeclaration): Promise<void> {
    this.assertOpen();
    const live = await this.consumeConnection.whenReady(this.options.connectTimeoutMs);
    await this.topology.declare(live.model, declaration);
  }

  /** Publishes with a publisher confirm; see {@link Transport.publish}. */
  publish(message: OutgoingMessage): Promise<void> {
    if (this.closing) return Promise.reject(new TransportClosedError());
    return this.publisher.publish((live) => toRawPublish(live.model, message, this.topology, this.delays));
  }

  /** Consumes a queue on its own channel of the consume connection; see {@link Transport.consume}. */
  async consume(queue: string, onDelivery: DeliveryHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    this.assertOpen();
    const amqpQueue = this.topology.queueName(queue);
    const companion = this.topology.hasExpiredCompanion(queue);
    const consumer = new AmqpConsumer(
      {
        queue,
        sources: companion ? [amqpQueue, amqpQueue + EXPIRED_SUFFIX] : [amqpQueue],
        rejectDrops: companion,
        singleActive: this.options.singleActiveConsumer.has(queue),
      },
      onDelivery,
      options,
      this.host,
    );
    this.consumers.add(consumer);
    try {
      const live = await this.consumeConnection.whenReady(this.options.connectTimeoutMs);
      await consumer.resume(live);
    } catch (err) {
      this.consumers.delete(consumer);
      await consumer.cancel();
      if (amqpCode(err) === 404) {
        throw new AmqpTopologyError(
          `Queue "${amqpQueue}" does not exist, so it cannot be consumed. Declare it first (declareQueue) or check the name and prefix.`,
          err,
          {
            queue: amqpQueue,
          },
        );
      }
      throw err;
    }
    return consumer;
  }

  /** Request/reply over direct reply-to; see {@link Transport.request}. */
  request(message: OutgoingMessage, options: RequestOptions): Promise<ReplyMessage> {
    if (this.closing) return Promise.reject(new TransportClosedError());
    return this.requests.request((live) => toRawPublish(live.model, message, this.topology, this.delays), options, describeDestination(message.destination));
  }

  /** Replies are transient and unconfirmed: sent on request/reply's plain channel (see {@link RequestReply.reply}). */
  private reply(replyTo: string, correlationId: string | undefined, message: ReplyMessage): Promise<void> {
    if (this.closing) return Promise.reject(new TransportClosedError());
    const options: Options.Publish = { contentType: message.contentType };
    if (hasKeys(message.headers)) options.headers = message.headers;
    if (correlationId !== undefined) options.correlationId = correlationId;
    const body = message.body;
    const raw: RawPublish = {
      exchange: '',
      routingKey: replyTo,
      body: Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      options,
      mandatory: false,
      describe: () => `the reply queue "${replyTo}"`,
    };
    return this.requests.reply(raw);
  }

  /** Depth and consumers of a queue via a passive check on a throwaway channel, or `undefined` when it does not exist. */
  async inspectQueue(queue: string): Promise<QueueStats | undefined> {
    this.assertOpen();
    const live = await this.consumeConnection.whenReady(this.options.connectTimeoutMs);
    try {
      const ok = await withThrowawayChannel(live.model, (ch) => ch.checkQueue(this.topology.queueName(queue)));
      return { queue, messages: ok.messageCount, consumers: ok.consumerCount };
    } catch (err) {
      if (amqpCode(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * Deletes a queue with its messages and its `.expired` companion (bindings and command route go
   * with them), and forgets its declaration so a reconnect does not bring it back. `<queue>.expired`
   * is Metro's name for a service queue's companion, and is deleted whether or not this process
   * declared it (a teardown may run elsewhere). A missing queue is no error. Rejects with
   * `QueueInUseError` while this transport consumes it (or starts to, before the delete). Consumers
   * in other processes are cancelled by the broker (and theirs re-declare the queue if they declared it).
   */
  async deleteQueue(queue: string): Promise<void> {
    this.assertOpen();
    this.assertNotConsumed(queue);
    const live = await this.consumeConnection.whenReady(this.options.connectTimeoutMs);
    this.assertNotConsumed(queue); // a consume() may have started while we waited
    const declaration = this.topology.forget(queue);
    const name = this.topology.queueName(queue);
    try {
      await withThrowawayChannel(live.model, async (ch) => {
        await ch.deleteQueue(name);
        await ch.deleteQueue(name + EXPIRED_SUFFIX);
      });
    } catch (err) {
      if (declaration !== undefined) this.topology.remember(declaration);
      throw err;
    }
  }

  /**
   * Both connections (`publish`, `consume`: connected, blocked by a memory or disk alarm,
   * reconnecting since when) and every consumer (attached to its queue?), from memory: no I/O.
   * `metro.health()` turns it into checks.
   *
   * @example
   * ```ts
   * const { connections } = transport.health();
   * connections.find((c) => c.role === 'publish')?.blocked; // the alarm's reason while RabbitMQ blocks publishing
   * ```
   */
  health(): TransportHealth {
    return {
      connections: [this.publishConnection.healthReport(), this.consumeConnection.healthReport()],
      consumers: [...this.consumers].map((c) => c.health()),
    };
  }

  private assertNotConsumed(queue: string): void {
    for (const consumer of this.consumers) if (consumer.queue === queue) throw new QueueInUseError(queue);
  }

  /**
   * Cancels consumers (waiting for in-flight handlers), waits for outstanding confirms and replies,
   * then closes both connections. Safe to call twice.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.consumers].map((c) => c.cancel()));
      await this.requests.close();
      await this.publisher.close();
      await Promise.all([this.publishConnection.close(), this.consumeConnection.close()]);
    })();
    return this.closing;
  }

  /** @internal The live amqplib connections, for fault tests (e.g. emitting `blocked`). */
  connectionsForTesting(): { publish: ChannelModel | undefined; consume: ChannelModel | undefined } {
    return { publish: this.publishConnection.current?.model, consume: this.consumeConnection.current?.model };
  }

  /** @internal The node each connection is on (one of `urls`), for cluster tests. */
  connectedUrlsForTesting(): { publish: string | undefined; consume: string | undefined } {
    return { publish: this.publishConnection.connectedUrl, consume: this.consumeConnection.connectedUrl };
  }

  /** @internal The consumers running, for fault tests. */
  consumersForTesting(): ReadonlyArray<AmqpConsumer> {
    return [...this.consumers];
  }
}
