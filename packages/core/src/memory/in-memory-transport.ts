import { ConfigurationError, QueueInUseError, TransportClosedError, UnroutableError } from '../errors.js';
import { defaultLogger, type Logger } from '../logger.js';
import type {
  ConsumeOptions,
  Consumer,
  DeliveryHandler,
  Destination,
  OutgoingMessage,
  QueueDeclaration,
  QueueStats,
  ReplyMessage,
  RequestOptions,
  Transport,
} from '../transport.js';
import type { TransportHealth } from '../health/transport-health.js';
import { InMemoryConsumer } from './in-memory-consumer.js';
import { InMemoryReplies } from './in-memory-replies.js';
import { enqueueInto, InMemoryQueue, type InMemoryBrokerHooks, type QueueConsumer, type QueuedMessage } from './in-memory-queue.js';
import { InMemoryRoutes } from './in-memory-routes.js';
import { InMemoryRouteCache } from './in-memory-route-cache.js';
import { InMemoryBodyArena } from './in-memory-body-arena.js';
import { describeDestination } from './in-memory-destination.js';

/** Options of {@link InMemoryTransport}. */
export interface InMemoryTransportOptions {
  /** Name for logs. Default `'memory'`. */
  readonly name?: string;
  /** pino-compatible logger. Default: `defaultLogger` (warnings and errors to stderr). */
  readonly logger?: Logger;
}

/**
 * A whole broker in one process, with real broker semantics: topics (topic / fanout / direct
 * exchanges with AMQP `*` / `#` patterns), durable queues, command routes, competing consumers
 * (round-robin), prefetch and concurrency limits, ack / requeue / reject, delays, expiry,
 * priorities, mandatory routing (`UnroutableError`) and request/reply. Deliveries are always
 * handed over asynchronously and carry their own copy of the bytes. Passes the same contract
 * suite as `AmqpTransport`. One instance is one broker: share it between the services of a test.
 *
 * @example
 * ```ts
 * const transport = new InMemoryTransport();
 * await transport.declareQueue({ queue: 'billing', bindings: [{ topic: 'orders', pattern: 'placed.#' }] });
 * await transport.consume('billing', async (d) => { console.log(d.subject); await d.ack(); });
 * await transport.publish({ destination: { kind: 'topic', topic: 'orders', subject: 'placed.eu' },
 *   body: new TextEncoder().encode('{}'), messageId: '1', contentType: 'application/json', headers: {} });
 * await transport.whenIdle();
 * await transport.close();
 * ```
 */
export class InMemoryTransport implements Transport {
  readonly name: string;
  private readonly logger: Logger;
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** When `state` last changed, and when each consumer started: for `health()`. */
  private stateSince = Date.now();
  private readonly consumerSince = new Map<QueueConsumer, number>();
  private closing: Promise<void> | undefined;
  private readonly queues = new Map<string, InMemoryQueue>();
  private readonly routes = new InMemoryRoutes();
  /** The broker's copies of the bodies it holds. */
  private readonly bodies = new InMemoryBodyArena();
  /** The queues each destination reached, until the topology changes. */
  private readonly routeCache = new InMemoryRouteCache((destination) => this.resolveRoute(destination));
  private readonly consumers = new Set<QueueConsumer>();
  private readonly delayed = new Set<NodeJS.Timeout>();
  private readonly replies: InMemoryReplies;
  private idleWaiters: Array<() => void> = [];
  private idleCheckScheduled = false;
  private readonly hooks: InMemoryBrokerHooks;

  constructor(options: InMemoryTransportOptions = {}) {
    this.name = options.name ?? 'memory';
    this.logger = options.logger ?? defaultLogger;
    this.replies = new InMemoryReplies(this.logger, this.bodies);
    this.hooks = {
      logger: this.logger,
      bodies: this.bodies,
      changed: () => this.changed(),
      replyTo: (id) => (reply) => {
        try {
          assertBytes(reply.body, 'reply()');
        } catch (err) {
          return Promise.reject(err);
        }
        this.replies.reply(id, reply);
        return SETTLED;
      },
      consumerStopped: (consumer, queue) => {
        this.consumers.delete(consumer);
        this.consumerSince.delete(consumer);
        if (queue.temporary && queue.consumers.length === 0) this.removeQueue(queue);
      },
    };
  }

  async start(): Promise<void> {
    this.assertUsable(false);
  }

  async declareQueue(declaration: QueueDeclaration): Promise<void> {
    this.assertUsable(false);
    const { queue: name, maxPriority } = declaration;
    if (typeof name !== 'string' || name.length === 0) throw new ConfigurationError('declareQueue() needs a non-empty queue name.');
    if (maxPriority !== undefined && !(Number.isInteger(maxPriority) && maxPriority >= 1 && maxPriority <= 255))
      throw new ConfigurationError(`Queue "${name}": maxPriority must be an integer from 1 to 255, got ${String(maxPriority)}.`);
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new InMemoryQueue(name, maxPriority, declaration.temporary === true, this.hooks);
      this.queues.set(name, queue);
    } else if (queue.maxPriority !== maxPriority) {
      throw new ConfigurationError(
        `Queue "${name}" already exists with maxPriority ${String(queue.maxPriority)}; it cannot be re-declared with ${String(maxPriority)}. Use the same declaration everywhere, or another queue name.`,
      );
    }
    this.routeCache.clear();
    this.routes.bind(name, declaration.bindings ?? []);
    if (declaration.commandsFor !== undefined) this.routes.addCommandRoute(declaration.commandsFor, name);
  }

  publish(message: OutgoingMessage): Promise<void> {
    // Not `async`: a publish settles at once, so it returns one shared resolved promise (or a rejection).
    try {
      this.assertUsable(true);
      const targets = this.route(message.destination);
      if (targets.length === 0) throw new UnroutableError(describeDestination(message.destination));
      this.accept(this.store(message, undefined), message.destination, message.delayMs, targets);
      return SETTLED;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async consume(queue: string, onDelivery: DeliveryHandler, options: ConsumeOptions = {}): Promise<Consumer> {
    this.assertUsable(false);
    const source = this.queues.get(queue);
    if (source === undefined) throw new ConfigurationError(`Queue "${queue}" does not exist. Declare it with declareQueue() before consuming it.`);
    const concurrency = options.concurrency ?? 16;
    const prefetch = options.prefetch ?? 2 * concurrency;
    if (!(Number.isInteger(concurrency) && concurrency >= 1))
      throw new ConfigurationError(`consume("${queue}"): concurrency must be a positive integer, got ${String(concurrency)}.`);
    if (!(Number.isInteger(prefetch) && prefetch >= 1))
      throw new ConfigurationError(`consume("${queue}"): prefetch must be a positive integer, got ${String(prefetch)}.`);
    const consumer = new InMemoryConsumer(source, onDelivery, concurrency, prefetch);
    this.consumers.add(consumer);
    this.consumerSince.set(consumer, Date.now());
    source.addConsumer(consumer);
    return consumer;
  }

  async request(message: OutgoingMessage, options: RequestOptions): Promise<ReplyMessage> {
    this.assertUsable(true);
    const { signal, timeoutMs } = options;
    if (signal?.aborted) throw signal.reason;
    const targets = this.route(message.destination);
    if (targets.length === 0) throw new UnroutableError(describeDestination(message.destination));
    const id = this.replies.nextId();
    const stored = this.store(message, id);
    const reply = this.replies.await(id, message.destination, timeoutMs, signal);
    this.accept(stored, message.destination, message.delayMs, targets);
    return reply;
  }

  async inspectQueue(queue: string): Promise<QueueStats | undefined> {
    this.assertUsable(false);
    const q = this.queues.get(queue);
    return q === undefined ? undefined : { queue, messages: q.readyCount(), consumers: q.consumers.length };
  }

  /** Deletes a queue, its messages, bindings and command route; see {@link Transport.deleteQueue}. */
  async deleteQueue(queue: string): Promise<void> {
    this.assertUsable(false);
    const q = this.queues.get(queue);
    if (q === undefined) return;
    // A consumer counts until its cancel finished: its in-flight handlers may still requeue.
    for (const consumer of this.consumers) if (consumer.queue === queue) throw new QueueInUseError(queue);
    this.removeQueue(q);
  }

  /**
   * Resolves once nothing is left to do: no message delayed, ready in a queue that has a
   * consumer, handed to a consumer and not yet settled, or being handled. Messages in queues
   * nobody consumes do not hold it (nothing would ever take them). Resolves at once after close.
   *
   * @example
   * ```ts
   * await metro.publish(OrderPlaced, { orderId: '1' });
   * await transport.whenIdle(); // every handler reached by it, and by what they published, is done
   * ```
   */
  whenIdle(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.scheduleIdleCheck();
    });
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /**
   * One connection (`memory`: connected until `close()`) and every consumer (attached until cancelled).
   *
   * @example
   * ```ts
   * transport.health().connections[0]?.state; // 'connected'
   * ```
   */
  health(): TransportHealth {
    return {
      connections: [{ role: 'memory', state: this.state === 'open' ? 'connected' : 'closed', since: this.stateSince, reconnects: 0 }],
      consumers: [...this.consumers].map((c) => ({ queue: c.queue, attached: true, since: this.consumerSince.get(c) ?? this.stateSince })),
    };
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    this.stateSince = Date.now();
    await Promise.all([...this.consumers].map((c) => c.cancel()));
    this.state = 'closed';
    for (const timer of this.delayed) clearTimeout(timer);
    this.delayed.clear();
    this.replies.failAll(new TransportClosedError('The transport closed before the reply arrived.'));
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  /** Publishing stays possible while close() waits for in-flight handlers (they may publish). */
  private assertUsable(publishing: boolean): void {
    if (this.state === 'closed' || (this.state === 'closing' && !publishing))
      throw new TransportClosedError(`InMemoryTransport "${this.name}" is closed. Create a new transport.`);
  }

  private route(destination: Destination): ReadonlyArray<InMemoryQueue> {
    return this.routeCache.queuesFor(destination);
  }

  private resolveRoute(destination: Destination): InMemoryQueue[] {
    const out: InMemoryQueue[] = [];
    for (const name of this.routes.queuesFor(destination) ?? []) {
      const q = this.queues.get(name);
      if (q !== undefined) out.push(q);
    }
    return out;
  }

  private store(message: OutgoingMessage, replyTo: number | undefined): QueuedMessage {
    assertBytes(message.body, 'publish()');
    const d = message.destination;
    const slot = this.bodies.store(message.body); // a copy: later changes to the caller's buffer are not seen
    return {
      bodyChunk: slot.chunk,
      bodyOffset: slot.offset,
      bodyLength: message.body.length,
      messageId: message.messageId,
      contentType: message.contentType,
      headers: { ...message.headers }, // nor to its headers; each delivery gets a copy of this copy
      priority: message.priority,
      expiresInMs: message.expiresInMs,
      timestamp: message.timestamp,
      topic: d.kind === 'topic' ? d.topic : undefined,
      subject: d.kind === 'topic' ? d.subject : undefined,
      replyTo,
      rank: 0,
      expiresAt: undefined,
      redelivered: false,
    };
  }

  /** Enqueues now into `targets`, or after `delayMs` into the queues routed to then (never sooner: a timer that fires early is re-armed). */
  private accept(message: QueuedMessage, destination: Destination, delayMs: number | undefined, targets: ReadonlyArray<InMemoryQueue>): void {
    if (delayMs === undefined || !(delayMs > 0)) {
      enqueueInto(targets, message);
      return;
    }
    const dueAt = Date.now() + delayMs;
    const arm = (ms: number): void => {
      const timer = setTimeout(() => {
        this.delayed.delete(timer);
        const left = dueAt - Date.now();
        if (left > 0) arm(left);
        else this.enqueue(message, destination);
        this.changed();
      }, ms);
      this.delayed.add(timer);
    };
    arm(delayMs);
  }

  private enqueue(message: QueuedMessage, destination: Destination): void {
    const targets = this.route(destination);
    if (targets.length === 0)
      this.logger.warn(
        { messageId: message.messageId, destination: describeDestination(destination) },
        'in-memory transport: delayed message became unroutable; dropped',
      );
    enqueueInto(targets, message);
  }

  private removeQueue(queue: InMemoryQueue): void {
    if (this.queues.get(queue.name) !== queue) return;
    this.queues.delete(queue.name);
    this.routeCache.clear();
    queue.purge();
    this.routes.forgetQueue(queue.name);
  }

  private changed(): void {
    if (this.idleWaiters.length > 0) this.scheduleIdleCheck();
  }

  private scheduleIdleCheck(): void {
    if (this.idleCheckScheduled) return;
    this.idleCheckScheduled = true;
    setImmediate(() => {
      this.idleCheckScheduled = false;
      if (this.idleWaiters.length > 0 && this.isIdle()) for (const wake of this.idleWaiters.splice(0)) wake();
    });
  }

  private isIdle(): boolean {
    if (this.delayed.size > 0) return false;
    for (const c of this.consumers) if (!c.idle) return false;
    const now = Date.now();
    for (const q of this.queues.values()) if (q.consumers.length > 0 && q.readyCount(now) > 0) return false;
    return true;
  }
}

/** What publish() and reply() return once done: nothing is left to wait for. */
const SETTLED: Promise<void> = Promise.resolve();

function assertBytes(body: unknown, where: string): void {
  if (!(body instanceof Uint8Array))
    throw new ConfigurationError(`${where}: body must be a Uint8Array (encode text with TextEncoder or Buffer.from), got ${typeof body}.`);
}
