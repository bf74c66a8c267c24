import type { Channel, ConsumeMessage } from 'amqplib';
import { DELIVERY_SETTLED, type Consumer, type DeliveryHandler, type Logger, type ReplyMessage, type TransportConsumerHealth } from '@metro/core';
import { AckBatcher } from './ack-batcher.js';
import { AmqpDelivery, type DeliverySettler, type PendingDelivery, type Settlement } from './amqp-delivery.js';
import { amqpCode } from './channel-scope.js';
import { reconnectDelay } from './reconnect-delay.js';
import type { ConnectionSupervisor, LiveConnection } from './connection-supervisor.js';
import { originalRoute, publicHeaders, reachedDeliveryLimit } from './incoming.js';
import type { ResolvedAmqpOptions } from './options.js';

/** What a consumer needs from its transport. */
export interface ConsumerHost {
  readonly supervisor: ConnectionSupervisor;
  readonly options: ResolvedAmqpOptions;
  readonly logger: Logger;
  /** Exchanges that are Metro's own plumbing (their name is not a topic). */
  readonly internalExchanges: ReadonlySet<string>;
  /** Topic name of a broker exchange, or undefined. */
  topicOf(exchange: string): string | undefined;
  /** Re-declares the queue (after the broker cancelled the consumer because the queue was deleted). */
  redeclare(model: LiveConnection['model'], queue: string): Promise<void>;
  /** Publishes a reply to a request's `replyTo`. */
  reply(replyTo: string, correlationId: string | undefined, message: ReplyMessage): Promise<void>;
  /** Called once the consumer was cancelled. */
  forget(consumer: AmqpConsumer): void;
}

/** The AMQP queues one consumer reads: the queue itself and, for Metro queues, its expired companion. */
export interface ConsumerQueues {
  /** The name the user gave (reported as `Delivery.queue`). */
  readonly queue: string;
  /** Broker queue names to consume. */
  readonly sources: ReadonlyArray<string>;
  /** `reject()` acks and drops instead of dead-lettering (the queue dead-letters into its companion). */
  readonly rejectDrops: boolean;
  /**
   * A single-active-consumer queue: on cancel, what was delivered and not handled stays unacked and
   * the broker returns it when the channel closes, together with the hand-over to the next consumer,
   * so that one resumes in queue order (a basic.cancel would let it start before those returned).
   */
  readonly singleActive?: boolean | undefined;
}

type Pending = PendingDelivery;

/**
 * One consumer on its own channel of the consume connection. Runs at most `concurrency` handlers
 * at once (the rest wait in order), acks only on the channel that delivered (stale settles after a
 * channel death are dropped: the broker redelivers), reopens its channel after a channel-level
 * close (e.g. the broker's consumer ack timeout), and re-declares and resumes after a
 * consumer-cancel notification (queue deleted). A `null` message never reaches the handler.
 */
export class AmqpConsumer implements Consumer, DeliverySettler {
  private channel: Channel | undefined;
  private channelModel: LiveConnection['model'] | undefined;
  private batcher: AckBatcher | undefined;
  private readonly backlog: Pending[] = [];
  private inFlight = 0;
  private cancelled = false;
  private cancelling: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  private reopenAttempts = 0;
  private consumerTags: string[] = [];
  private reopenTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private readonly prefetch: number;
  private readonly concurrency: number;
  /** When this consumer last attached to or lost its channel, for `health()`. */
  private healthSince = Date.now();

  constructor(
    private readonly queues: ConsumerQueues,
    private readonly onDelivery: DeliveryHandler,
    settings: { prefetch?: number | undefined; concurrency?: number | undefined },
    private readonly host: ConsumerHost,
  ) {
    this.concurrency = settings.concurrency ?? host.options.concurrency;
    this.prefetch = settings.prefetch ?? host.options.prefetch ?? this.concurrency * 2;
  }

  get queue(): string {
    return this.queues.queue;
  }

  /** @internal The channel currently consuming (tests use it to provoke a channel-level error). */
  get currentChannel(): Channel | undefined {
    return this.channel;
  }

  /** Whether it receives now: its channel open, consuming, on the live connection (for `Transport.health()`). */
  health(): TransportConsumerHealth {
    const attached = !this.cancelled && this.channel !== undefined && this.opening === undefined && this.channelModel === this.host.supervisor.current?.model;
    return { queue: this.queue, attached, since: this.healthSince };
  }

  /** Opens the channel and starts consuming on the current connection. */
  resume(live: LiveConnection): Promise<void> {
    if (this.cancelled) return Promise.resolve();
    if (this.opening) return this.opening;
    // Already consuming on this connection (consume() and the reconnect hook may both ask).
    if (this.channel && this.channelModel === live.model) return Promise.resolve();
    this.opening = this.open(live).finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  private async open(live: LiveConnection): Promise<void> {
    const channel = await live.model.createChannel();
    let brokerError: unknown;
    channel.on('error', (err: unknown) => {
      if (amqpCode(err) !== undefined) brokerError = err;
      this.host.logger.warn({ err, queue: this.queue }, 'metro: consumer channel error');
    });
    channel.on('close', () => this.onChannelClosed(channel, live, brokerError));
    try {
      await channel.prefetch(this.prefetch);
      const batcher = new AckBatcher(channel);
      this.channel = channel;
      this.channelModel = live.model;
      this.batcher = batcher;
      const tags: string[] = [];
      for (const source of this.queues.sources) {
        const { consumerTag } = await channel.consume(source, (message) => this.onMessage(channel, batcher, message));
        tags.push(consumerTag);
      }
      this.consumerTags = tags;
      this.reopenAttempts = 0;
      this.healthSince = Date.now();
    } catch (err) {
      if (this.channel === channel) {
        this.channel = undefined;
        this.batcher = undefined;
      }
      await channel.close().catch(() => undefined);
      throw err;
    }
    if (this.cancelled) await channel.close().catch(() => undefined);
  }

  /** `brokerError`: the close the broker sent (with its reply code), if it closed the channel; none when the connection was lost on our side. */
  private onChannelClosed(channel: Channel, live: LiveConnection, brokerError: unknown): void {
    if (this.channel !== channel || this.opening) return;
    this.batcher?.discard();
    this.channel = undefined;
    this.batcher = undefined;
    this.healthSince = Date.now();
    // Waiting deliveries of that channel are gone: the broker redelivers them.
    for (let i = this.backlog.length - 1; i >= 0; i--) if (this.backlog[i]!.channel === channel) this.backlog.splice(i, 1);
    this.notifyIdle();
    if (this.cancelled) return;
    if (this.host.supervisor.current?.model === live.model) {
      if (brokerError !== undefined) {
        this.host.logger.warn(
          { err: brokerError, queue: this.queue, code: amqpCode(brokerError) },
          'metro: consumer channel closed by the broker; reopening (unacked messages are redelivered)',
        );
      } else {
        this.host.logger.warn(
          { queue: this.queue },
          'metro: consumer channel closed without a broker error (connection lost or closing); reopening (unacked messages are redelivered)',
        );
      }
      this.scheduleReopen(live);
    }
    // Otherwise the connection is gone; the transport resumes this consumer after reconnecting.
  }

  /** Retries opening the channel later (after a failed resume). */
  retryLater(live: LiveConnection): void {
    this.scheduleReopen(live);
  }

  private scheduleReopen(live: LiveConnection): void {
    if (this.reopenTimer || this.cancelled) return;
    const delay = reconnectDelay(this.reopenAttempts++, this.host.options.reconnect);
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = undefined;
      const current = this.host.supervisor.current;
      if (!current || current.model !== live.model || this.cancelled || this.channel) return;
      this.host
        .redeclare(current.model, this.queue)
        .then(() => this.resume(current))
        .catch((err: unknown) => {
          this.host.logger.warn({ err, queue: this.queue }, 'metro: resuming the consumer failed; retrying');
          this.scheduleReopen(current);
        });
    }, delay);
  }

  private onMessage(channel: Channel, batcher: AckBatcher, message: ConsumeMessage | null): void {
    if (message === null) {
      // Consumer-cancel notification: the queue was deleted (or the broker cancelled us).
      this.host.logger.warn({ queue: this.queue }, 'metro: the broker cancelled the consumer (queue deleted?); re-declaring and resuming');
      if (this.channel === channel) channel.close().catch(() => undefined);
      return;
    }
    batcher.track(message.fields.deliveryTag, message);
    if (this.cancelled) {
      if (!this.queues.singleActive) batcher.nack(message.fields.deliveryTag, true);
      return;
    }
    const pending: Pending = { channel, batcher, message };
    if (this.inFlight < this.concurrency) this.run(pending);
    else this.backlog.push(pending);
  }

  private run(pending: Pending): void {
    this.inFlight++;
    const delivery = this.toDelivery(pending);
    let result: Promise<void>;
    try {
      result = this.onDelivery(delivery);
    } catch (err) {
      result = Promise.reject(err);
    }
    if (result === DELIVERY_SETTLED) {
      // Settled before it returned (a synchronous handler): no promise to wait on. Whoever called
      // (onMessage, or next()'s loop) takes the next message: no recursion through a long backlog.
      this.inFlight--;
      this.notifyIdle();
      return;
    }
    result.then(this.afterDelivery, (err: unknown) => {
      if (!delivery.isSettled) {
        this.host.logger.warn({ err, queue: this.queue }, 'metro: onDelivery threw without settling; requeueing');
        void delivery.requeue();
      }
      this.afterDelivery();
    });
  }

  /** One delivery's handling ended: take the next waiting one (bound once, not a closure per message). */
  private readonly afterDelivery = (): void => {
    this.inFlight--;
    this.next();
  };

  /** Settles on the channel that delivered; a no-op when that channel is gone (the broker redelivers). */
  settle(pending: Pending, how: Settlement): void {
    if (this.channel !== pending.channel) {
      this.host.logger.debug({ queue: this.queue, how }, 'metro: settle for a channel that is gone dropped (the broker redelivers)');
      return;
    }
    const tag = pending.message.fields.deliveryTag;
    try {
      if (how === 'ack' || (how === 'reject' && this.queues.rejectDrops)) pending.batcher.ack(tag);
      else pending.batcher.nack(tag, how === 'requeue');
    } catch (err) {
      this.host.logger.debug({ err, queue: this.queue }, 'metro: settle failed (channel closing)');
    }
  }

  private next(): void {
    while (this.inFlight < this.concurrency && this.backlog.length > 0) {
      const pending = this.backlog.shift()!;
      if (pending.channel === this.channel) this.run(pending);
    }
    this.notifyIdle();
  }

  private notifyIdle(): void {
    if (this.inFlight > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private toDelivery(pending: Pending): AmqpDelivery {
    const { message } = pending;
    const props = message.properties;
    const route = originalRoute(message, this.host.internalExchanges);
    const delivery = new AmqpDelivery(
      message.content,
      this.queue,
      message.fields.redelivered,
      typeof props.messageId === 'string' ? props.messageId : '',
      typeof props.contentType === 'string' ? props.contentType : 'application/octet-stream',
      publicHeaders(props.headers as Record<string, unknown> | undefined),
      pending,
      this,
    );
    delivery.topic = this.host.internalExchanges.has(route.exchange) ? undefined : this.host.topicOf(route.exchange);
    delivery.subject = route.routingKey;
    if (reachedDeliveryLimit(message)) delivery.deliveryLimitReached = true;
    if (typeof props.priority === 'number') delivery.priority = props.priority;
    if (props.expiration !== undefined && props.expiration !== null) {
      const expiration = Number(props.expiration);
      if (Number.isFinite(expiration)) delivery.expiresInMs = expiration;
    }
    if (typeof props.timestamp === 'number') delivery.timestamp = props.timestamp * 1000;
    const replyTo = typeof props.replyTo === 'string' && props.replyTo !== '' ? props.replyTo : undefined;
    if (replyTo !== undefined) {
      const correlationId = typeof props.correlationId === 'string' ? props.correlationId : undefined;
      delivery.reply = (reply: ReplyMessage) => this.host.reply(replyTo, correlationId, reply);
    }
    return delivery;
  }

  /** Stops receiving, requeues what waits, waits for in-flight handlers, sends pending acks, closes the channel. Safe twice. */
  cancel(): Promise<void> {
    this.cancelling ??= this.doCancel();
    return this.cancelling;
  }

  private async doCancel(): Promise<void> {
    this.cancelled = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    await this.opening?.catch(() => undefined);
    const channel = this.channel;
    const handOver = this.queues.singleActive === true;
    if (channel && !handOver) {
      for (const tag of this.consumerTags) await channel.cancel(tag).catch(() => undefined);
    }
    for (const pending of this.backlog.splice(0)) {
      if (handOver) continue; // returned in order when the channel closes
      try {
        if (pending.channel === this.channel) pending.batcher.nack(pending.message.fields.deliveryTag, true);
      } catch {
        // channel closing: the broker requeues it anyway
      }
    }
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.batcher?.flush();
    this.channel = undefined;
    this.batcher = undefined;
    if (channel) await channel.close().catch(() => undefined);
    this.host.forget(this);
  }
}
