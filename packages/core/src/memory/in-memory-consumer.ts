import { DELIVERY_SETTLED, type Consumer, type Delivery, type DeliveryHandler } from '../transport.js';
import type { InMemoryQueue, QueueConsumer, QueuedMessage } from './in-memory-queue.js';

type Settlement = 'ack' | 'requeue' | 'reject';

/**
 * One `consume()` of the in-memory broker: at most `limit` messages handed out and not yet both
 * returned from `onDelivery` and settled. A handler that throws without settling gets its
 * message requeued; messages still unsettled when the consumer is cancelled are requeued too
 * (what a broker does when the channel that delivered them closes).
 */
export class InMemoryConsumer implements Consumer, QueueConsumer {
  private inFlight = 0;
  /** Deliveries handed out and not settled, with the queue entry each came from: a delivery absent from it is settled (or was detached when the consumer stopped). */
  private readonly unacked = new Map<Delivery, QueuedMessage>();
  private cancelling: Promise<void> | undefined;
  private inFlightWaiters: Array<() => void> = [];
  private warnedUnsettled = false;

  constructor(
    private readonly source: InMemoryQueue,
    private readonly onDelivery: DeliveryHandler,
    private readonly concurrency: number,
    private readonly prefetch: number,
  ) {}

  get queue(): string {
    return this.source.name;
  }

  /** True while no `onDelivery` call is running and no delivery awaits its settlement. */
  get idle(): boolean {
    return this.inFlight === 0 && this.unacked.size === 0;
  }

  hasCapacity(): boolean {
    return this.cancelling === undefined && this.inFlight < this.concurrency && this.unacked.size < this.prefetch;
  }

  /** Hands one message to the handler (called by the queue's dispatch, never inside publish). */
  deliver(entry: QueuedMessage): void {
    const m = entry;
    const delivery: Delivery = {
      body: this.source.hooks.bodies.read(m.bodyChunk, m.bodyOffset, m.bodyLength),
      queue: this.source.name,
      topic: m.topic,
      subject: m.subject,
      redelivered: entry.redelivered,
      messageId: m.messageId,
      contentType: m.contentType,
      headers: { ...m.headers },
      priority: m.priority,
      expiresInMs: m.expiresInMs,
      timestamp: m.timestamp,
      ack: () => this.settleFor(delivery, 'ack'),
      requeue: () => this.settleFor(delivery, 'requeue'),
      reject: () => this.settleFor(delivery, 'reject'),
      reply: m.replyTo === undefined ? undefined : this.source.hooks.replyTo(m.replyTo),
    };
    this.inFlight++;
    this.unacked.set(delivery, entry);
    void this.run(delivery);
  }

  cancel(): Promise<void> {
    this.cancelling ??= this.stop();
    return this.cancelling;
  }

  private async run(delivery: Delivery): Promise<void> {
    try {
      await this.onDelivery(delivery);
      if (this.unacked.has(delivery) && !this.warnedUnsettled) {
        this.warnedUnsettled = true;
        this.source.hooks.logger.warn(
          { queue: this.queue, messageId: delivery.messageId },
          'in-memory transport: onDelivery returned without settling the delivery; it stays unacknowledged until settled or the consumer is cancelled',
        );
      }
    } catch (err) {
      if (this.unacked.has(delivery)) {
        this.source.hooks.logger.warn(
          { queue: this.queue, messageId: delivery.messageId, err },
          'in-memory transport: onDelivery threw without settling; message requeued',
        );
        this.settle(delivery, 'requeue');
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0 && this.inFlightWaiters.length > 0) for (const wake of this.inFlightWaiters.splice(0)) wake();
      this.source.scheduleDispatch();
      this.source.hooks.changed();
    }
  }

  /** `ack` / `requeue` / `reject` of a delivery: settling is synchronous. */
  private settleFor(delivery: Delivery, how: Settlement): Promise<void> {
    this.settle(delivery, how);
    return DELIVERY_SETTLED;
  }

  /** Settles a delivery once; later calls (and calls after the consumer stopped) are no-ops. */
  private settle(delivery: Delivery, how: Settlement): void {
    const entry = this.unacked.get(delivery);
    if (entry === undefined) return;
    this.unacked.delete(delivery);
    if (how === 'requeue') this.source.requeue(entry);
    else if (how === 'reject')
      this.source.hooks.logger.debug({ queue: this.queue, messageId: entry.messageId }, 'in-memory transport: message rejected (dropped)');
    this.source.scheduleDispatch();
    this.source.hooks.changed();
  }

  private async stop(): Promise<void> {
    this.source.removeConsumer(this);
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.inFlightWaiters.push(resolve));
    for (const entry of this.unacked.values()) this.source.requeue(entry);
    this.unacked.clear();
    this.source.hooks.consumerStopped(this, this.source);
    this.source.hooks.changed();
  }
}
