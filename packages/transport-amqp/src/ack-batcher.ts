import type { Channel, Message } from 'amqplib';

/**
 * Coalesces the acks of one channel: deliveries are tracked in arrival (delivery-tag) order; on the
 * next tick (`process.nextTick`), the longest run of acked deliveries at the front is acked with one
 * `multiple` ack, and any other acked delivery individually. Per-delivery semantics are kept: a
 * delivery is acked only once its own handler acked it, and a slow one never holds back the acks of
 * the others for more than a tick.
 *
 * The next tick, not `setImmediate`: the handlers of the deliveries of one socket read settle in
 * the same microtask drain, so they still share one ack, and the ack reaches amqplib in the same
 * event-loop turn as what the handler sent (an RPC reply), so both are written in that turn's
 * flush. With `setImmediate` the ack was written one turn later: at concurrency 1 on a busy
 * machine, for up to half of the calls, just before the caller's next request (same process),
 * which then waited behind its write.
 */
export class AckBatcher {
  /** Unsettled deliveries by tag, in arrival order, with their message when given. */
  private readonly outstanding = new Map<number, Message | undefined>();
  private readonly acked = new Set<number>();
  private scheduled = false;
  private dead = false;

  constructor(private readonly channel: Channel) {}

  /**
   * A delivery arrived on the channel. With its `message`, the ack or nack sent for it is that
   * very object: an amqplib auto-instrumentation (`@opentelemetry/instrumentation-amqplib`) finds
   * its consumer span by it, and would otherwise keep every acked delivery until the channel closes.
   */
  track(tag: number, message?: Message): void {
    this.outstanding.set(tag, message);
  }

  /** Acks a delivery (on the next tick). */
  ack(tag: number): void {
    if (this.dead || !this.outstanding.has(tag)) return;
    this.acked.add(tag);
    if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushScheduled);
    }
  }

  /** {@link flush}, bound once (not a closure per batch). */
  private readonly flushScheduled = (): void => this.flush();

  /** Nacks a delivery now (requeue, or drop/dead-letter). */
  nack(tag: number, requeue: boolean): void {
    if (this.dead || !this.outstanding.has(tag)) return;
    const message = this.messageOf(tag);
    this.outstanding.delete(tag);
    this.safely(() => this.channel.nack(message, false, requeue));
  }

  /** Sends the acks collected so far. */
  flush(): void {
    this.scheduled = false;
    if (this.dead || this.acked.size === 0) return;
    let last: Message | undefined;
    for (const tag of this.outstanding.keys()) {
      if (!this.acked.has(tag)) break;
      last = this.messageOf(tag);
      this.outstanding.delete(tag);
      this.acked.delete(tag);
    }
    if (last !== undefined) {
      const upTo = last;
      this.safely(() => this.channel.ack(upTo, true));
    }
    for (const tag of this.acked) {
      const message = this.messageOf(tag);
      this.outstanding.delete(tag);
      this.safely(() => this.channel.ack(message, false));
    }
    this.acked.clear();
  }

  /** The tracked message of a tag, or a stand-in carrying only the tag (all amqplib reads). */
  private messageOf(tag: number): Message {
    return this.outstanding.get(tag) ?? fake(tag);
  }

  /** amqplib throws when the channel closed in the meantime: then the broker redelivers, nothing to do. */
  private safely(send: () => void): void {
    if (this.dead) return;
    try {
      send();
    } catch {
      this.discard();
    }
  }

  /** The channel is gone: forget everything (the broker redelivers what was not acked). */
  discard(): void {
    this.dead = true;
    this.outstanding.clear();
    this.acked.clear();
  }
}

function fake(deliveryTag: number): Message {
  return { fields: { deliveryTag } } as Message;
}
