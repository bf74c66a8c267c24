import type { Consumer, Delivery, DeliveryHandler } from '../transport.js';
import type { InMemoryQueue, QueueConsumer, QueuedMessage } from './in-memory-queue.js';
import { copyBody } from './in-memory-body-copy.js';

/** What `ack` / `requeue` / `reject` return: settling is synchronous, so one resolved promise serves all. */
const SETTLED: Promise<void> = Promise.resolve();

interface DeliveryState {
  readonly entry: QueuedMessage;
  /** Settled by the handler, or detached from it (requeued when its consumer went away). */
  settled: boolean;
}

/**
 * One `consume()` of the in-memory broker: at most `limit` messages handed out and not yet both
 * returned from `onDelivery` and settled. A handler that throws without settling gets its
 * message requeued; messages still unsettled when the consumer is cancelled are requeued too
 * (what a broker does when the channel that delivered them closes).
 */
export class InMemoryConsumer implements Consumer, QueueConsumer {
  private inFlight = 0;
  private readonly unacked = new Set<DeliveryState>();
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
    const state: DeliveryState = { entry, settled: false };
    const m = entry.message;
    const hooks = this.source.hooks;
    const delivery: Delivery = {
      body: copyBody(m.body),
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
      ack: () => this.settleFor(state, 'ack'),
      requeue: () => this.settleFor(state, 'requeue'),
      reject: () => this.settleFor(state, 'reject'),
      reply: m.replyTo === undefined ? undefined : hooks.replyTo(m.replyTo),
    };
    this.inFlight++;
    this.unacked.add(state);
    void this.run(delivery, state);
  }

  cancel(): Promise<void> {
    this.cancelling ??= this.stop();
    return this.cancelling;
  }

  private async run(delivery: Delivery, state: DeliveryState): Promise<void> {
    const { logger } = this.source.hooks;
    try {
      await this.onDelivery(delivery);
      if (!state.settled && !this.warnedUnsettled) {
        this.warnedUnsettled = true;
        logger.warn(
          { queue: this.queue, messageId: delivery.messageId },
          'in-memory transport: onDelivery returned without settling the delivery; it stays unacknowledged until settled or the consumer is cancelled',
        );
      }
    } catch (err) {
      if (!state.settled) {
        logger.warn({ queue: this.queue, messageId: delivery.messageId, err }, 'in-memory transport: onDelivery threw without settling; message requeued');
        this.settle(state, 'requeue');
      }
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const wake of this.inFlightWaiters.splice(0)) wake();
      this.source.scheduleDispatch();
      this.source.hooks.changed();
    }
  }

  /** `ack` / `requeue` / `reject` of a delivery: settling is synchronous. */
  private settleFor(state: DeliveryState, how: 'ack' | 'requeue' | 'reject'): Promise<void> {
    this.settle(state, how);
    return SETTLED;
  }

  private settle(state: DeliveryState, how: 'ack' | 'requeue' | 'reject'): void {
    if (state.settled) return;
    state.settled = true;
    this.unacked.delete(state);
    if (how === 'requeue') this.source.requeue(state.entry);
    else if (how === 'reject')
      this.source.hooks.logger.debug({ queue: this.queue, messageId: state.entry.message.messageId }, 'in-memory transport: message rejected (dropped)');
    this.source.scheduleDispatch();
    this.source.hooks.changed();
  }

  private async stop(): Promise<void> {
    this.source.removeConsumer(this);
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.inFlightWaiters.push(resolve));
    for (const state of this.unacked) {
      state.settled = true;
      this.source.requeue(state.entry);
    }
    this.unacked.clear();
    this.source.hooks.consumerStopped(this, this.source);
    this.source.hooks.changed();
  }
}
