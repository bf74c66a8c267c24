import type { Channel, ChannelModel } from 'amqplib';
import { ConfigurationError, type Binding, type Logger, type QueueDeclaration } from '@metro/core';
import { amqpCode, withThrowawayChannel } from './channel-scope.js';
import { AmqpTopologyError } from './errors.js';
import { QUORUM_PRIORITY, type ResolvedAmqpOptions } from './options.js';

/** Suffix of the companion queue that receives a queue's broker-expired messages. */
export const EXPIRED_SUFFIX = '.expired';

/**
 * Names and declarations of the queues and exchanges Metro owns. Remembers every declaration so it
 * can be re-declared after a reconnect or after the queue was deleted under a consumer.
 *
 * Every durable service queue `Q` (declared with `commandsFor`), and with a `deliveryLimit` every durable
 * queue, gets a companion `Q.expired` and the arguments
 * `x-dead-letter-exchange: ''`, `x-dead-letter-routing-key: Q.expired`: a message whose AMQP
 * `expiration` passes in `Q` is moved there (RabbitMQ strips `expiration` on dead-lettering), and
 * the consumer of `Q` consumes `Q.expired` too, so the bus still sees the expired command and
 * records it as an "expired" failure; a message past the delivery limit lands there too, and the
 * consumer flags it (`deliveryLimitReached`) so the bus records a "delivery-limit" failure. (Dead-lettering straight back into `Q` does not work:
 * RabbitMQ drops it as a dead-letter cycle.) Because a rejected message would also be dead-lettered,
 * `Delivery.reject()` on such a queue acks (drops) the message instead.
 */
export class Topology {
  private readonly declarations = new Map<string, QueueDeclaration>();
  private readonly topicTypes = new Map<string, 'topic' | 'fanout' | 'direct'>();
  private readonly ensuredTopics = new Map<string, Promise<void>>();
  private readonly readyTopics = new Set<string>();
  private commandsReady: Promise<void> | undefined;
  private commandsDeclared = false;

  constructor(
    private readonly options: ResolvedAmqpOptions,
    private readonly logger: Logger,
  ) {}

  /** The broker name of a Metro queue. */
  queueName(queue: string): string {
    return this.options.prefix + queue;
  }

  /** The broker name of a topic's exchange (external exchanges are never prefixed). */
  exchangeName(topic: string, external = false): string {
    return external ? topic : this.options.prefix + topic;
  }

  /** The direct exchange that routes commands by service name. */
  get commandsExchange(): string {
    return this.options.prefix + 'metro.commands';
  }

  /** The topic name of a broker exchange name (prefix removed); undefined for Metro's internal exchanges. */
  topicOf(exchange: string): string | undefined {
    if (exchange === '' || exchange === this.commandsExchange) return undefined;
    const p = this.options.prefix;
    return p && exchange.startsWith(p) ? exchange.slice(p.length) : exchange;
  }

  /** The queue declared for `queue`, if `declareQueue` was called for it. */
  declaration(queue: string): QueueDeclaration | undefined {
    return this.declarations.get(queue);
  }

  /** True when the queue was declared by Metro with an expired-message companion queue (a durable service queue, i.e. with `commandsFor`). */
  hasExpiredCompanion(queue: string): boolean {
    const d = this.declarations.get(queue);
    return d !== undefined && this.hasCompanion(d);
  }

  /** Records a declaration and applies it on `model`. */
  async declare(model: ChannelModel, declaration: QueueDeclaration): Promise<void> {
    this.assertSupported(declaration);
    await this.apply(model, declaration);
    // Remembered only once the broker accepted it, so a refused declaration is not retried forever.
    this.declarations.set(declaration.queue, declaration);
    for (const b of declaration.bindings ?? []) if (!b.external) this.topicTypes.set(b.topic, b.exchangeType ?? 'topic');
  }

  /** Refuses, before anything is declared, what the queue type cannot do (the broker would close the channel instead). */
  private assertSupported(declaration: QueueDeclaration): void {
    const maxPriority = declaration.maxPriority ?? this.options.maxPriority;
    if (maxPriority !== undefined && !declaration.temporary && this.options.queueType === 'quorum') {
      throw new ConfigurationError(`Queue "${declaration.queue}": ${QUORUM_PRIORITY}`);
    }
  }

  /** Forgets a queue's declaration (it is being deleted): a reconnect no longer re-declares it. Returns what it forgot. */
  forget(queue: string): QueueDeclaration | undefined {
    const declaration = this.declarations.get(queue);
    this.declarations.delete(queue);
    return declaration;
  }

  /** Records a declaration again without applying it (a delete that failed after {@link forget}). */
  remember(declaration: QueueDeclaration): void {
    this.declarations.set(declaration.queue, declaration);
  }

  /**
   * Re-declares everything recorded (after a reconnect). A declaration the broker now refuses
   * (e.g. an external exchange that was deleted) is logged and skipped; connection errors propagate.
   */
  async redeclareAll(model: ChannelModel): Promise<void> {
    for (const declaration of this.declarations.values()) {
      try {
        await this.apply(model, declaration);
      } catch (err) {
        if (!(err instanceof AmqpTopologyError)) throw err;
        this.logger.error(
          { err, queue: declaration.queue },
          'metro: re-declaring a queue after reconnect failed; its consumer cannot resume until this is fixed',
        );
      }
    }
  }

  /** Forgets the exchanges ensured for publishing (after the publish connection was replaced). */
  resetPublishCache(): void {
    this.ensuredTopics.clear();
    this.readyTopics.clear();
    this.commandsReady = undefined;
    this.commandsDeclared = false;
  }

  /** True once {@link ensureTopic} succeeded for `topic` on the current publish connection. */
  isTopicReady(topic: string): boolean {
    return this.readyTopics.has(topic);
  }

  /** True once {@link ensureCommands} succeeded on the current publish connection. */
  get commandsExchangeReady(): boolean {
    return this.commandsDeclared;
  }

  /** Declares the commands exchange before the first command is sent; cached until the connection is replaced. */
  ensureCommands(model: ChannelModel): Promise<void> {
    if (!this.commandsReady) {
      const ready = withThrowawayChannel(model, (ch) => this.ensureCommandsExchange(ch)).then(() => {
        this.commandsDeclared = true;
      });
      ready.catch(() => {
        if (this.commandsReady === ready) this.commandsReady = undefined;
      });
      this.commandsReady = ready;
    }
    return this.commandsReady;
  }

  /** Re-declares one recorded queue (after the broker cancelled its consumer). No-op for unknown queues. */
  async redeclare(model: ChannelModel, queue: string): Promise<void> {
    const d = this.declarations.get(queue);
    if (d) await this.apply(model, d);
  }

  /**
   * Makes sure a topic's exchange exists before publishing to it (a publish to a missing exchange
   * would close the confirm channel): a passive check, then a declare (type `topic`, or the type a
   * binding asked for) if it is missing. Cached until the connection is replaced.
   */
  ensureTopic(model: ChannelModel, topic: string): Promise<void> {
    let ensured = this.ensuredTopics.get(topic);
    if (!ensured) {
      const exchange = this.exchangeName(topic);
      ensured = withThrowawayChannel(model, (ch) => ch.checkExchange(exchange).then(() => undefined)).catch(async (err: unknown) => {
        if (amqpCode(err) !== 404) throw err;
        await withThrowawayChannel(model, (ch) => ch.assertExchange(exchange, this.topicTypes.get(topic) ?? 'topic', { durable: true }));
      });
      ensured.then(
        () => this.readyTopics.add(topic),
        () => this.ensuredTopics.delete(topic),
      );
      this.ensuredTopics.set(topic, ensured);
    }
    return ensured;
  }

  /** Declares the commands exchange (idempotent). */
  async ensureCommandsExchange(channel: Channel): Promise<void> {
    await channel.assertExchange(this.commandsExchange, 'direct', { durable: true });
  }

  private queueArguments(declaration: QueueDeclaration): Record<string, unknown> {
    const args: Record<string, unknown> = {};
    const maxPriority = declaration.maxPriority ?? this.options.maxPriority;
    if (maxPriority !== undefined) args['x-max-priority'] = maxPriority;
    if (this.options.singleActiveConsumer.has(declaration.queue)) args['x-single-active-consumer'] = true;
    if (declaration.temporary) {
      args['x-expires'] = 600_000;
      return args;
    }
    args['x-queue-type'] = this.options.queueType;
    if (this.options.deliveryLimit !== undefined) args['x-delivery-limit'] = this.options.deliveryLimit;
    if (!this.hasCompanion(declaration)) return args;
    args['x-dead-letter-exchange'] = '';
    args['x-dead-letter-routing-key'] = this.queueName(declaration.queue) + EXPIRED_SUFFIX;
    return args;
  }

  /** Durable service queues (receiving commands) get the expired-message companion; with a delivery limit, every durable queue does. */
  private hasCompanion(declaration: QueueDeclaration): boolean {
    return declaration.temporary !== true && (declaration.commandsFor !== undefined || this.options.deliveryLimit !== undefined);
  }

  private async apply(model: ChannelModel, declaration: QueueDeclaration): Promise<void> {
    const queue = this.queueName(declaration.queue);
    const temporary = declaration.temporary === true;
    await this.step(model, `declare queue "${queue}"`, async (ch) => {
      if (this.hasCompanion(declaration)) {
        await ch.assertQueue(queue + EXPIRED_SUFFIX, { durable: true, arguments: { 'x-queue-type': this.options.queueType } });
      }
      await ch.assertQueue(queue, { durable: !temporary, autoDelete: temporary, arguments: this.queueArguments(declaration) });
    });
    if (declaration.commandsFor !== undefined) {
      const service = declaration.commandsFor;
      await this.step(model, `bind "${queue}" to the commands of "${service}"`, async (ch) => {
        await this.ensureCommandsExchange(ch);
        await ch.bindQueue(queue, this.commandsExchange, service);
      });
    }
    for (const binding of declaration.bindings ?? []) await this.bind(model, queue, binding);
    this.logger.debug({ queue }, 'metro: queue declared');
  }

  private async bind(model: ChannelModel, queue: string, binding: Binding): Promise<void> {
    const exchange = this.exchangeName(binding.topic, binding.external);
    const type = binding.exchangeType ?? 'topic';
    if (binding.external) {
      try {
        await withThrowawayChannel(model, (ch) => ch.checkExchange(exchange));
      } catch (err) {
        if (amqpCode(err) === 404) {
          throw new AmqpTopologyError(
            `External exchange "${exchange}" does not exist, so queue "${queue}" cannot bind to it. Metro never declares external exchanges: create it in the system that owns it, or drop \`external\` to let Metro declare it.`,
            err,
            { exchange, queue },
          );
        }
        throw err;
      }
    } else {
      await this.step(model, `declare exchange "${exchange}" (${type})`, (ch) => ch.assertExchange(exchange, type, { durable: true }));
    }
    await this.step(model, `bind "${queue}" to "${exchange}" with "${binding.pattern}"`, (ch) =>
      ch.bindQueue(queue, exchange, type === 'fanout' ? '' : binding.pattern),
    );
  }

  private async step<T>(model: ChannelModel, what: string, work: (ch: Channel) => Promise<T>): Promise<T> {
    try {
      return await withThrowawayChannel(model, work);
    } catch (err) {
      const code = amqpCode(err);
      if (code === 406) {
        throw new AmqpTopologyError(
          `RabbitMQ refused to ${what}: it exists with other arguments or type (${(err as Error).message}). Delete it or align the options (queueType, maxPriority, exchangeType).`,
          err,
        );
      }
      if (code === 404 || code === 403) {
        throw new AmqpTopologyError(`RabbitMQ refused to ${what}: ${(err as Error).message}. Check names and permissions.`, err);
      }
      throw err;
    }
  }
}
