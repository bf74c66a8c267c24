import type { Channel, ConsumeMessage } from 'amqplib';
import { DELIVERY_SETTLED, type Delivery, type HeaderValue, type ReplyMessage } from '@metro/core';
import type { AckBatcher } from './ack-batcher.js';

/** A message as delivered on one channel: settled through that channel's batcher only. */
export interface PendingDelivery {
  readonly channel: Channel;
  readonly batcher: AckBatcher;
  readonly message: ConsumeMessage;
}

/** How a delivery is settled. */
export type Settlement = 'ack' | 'requeue' | 'reject';

/** What settles a delivery: its consumer (it knows whether the delivering channel is still the current one). */
export interface DeliverySettler {
  settle(pending: PendingDelivery, how: Settlement): void;
}

/**
 * One AMQP delivery handed to Metro's dispatch: a class rather than an object literal with
 * `ack` / `requeue` / `reject` closures, because one is made per message (its methods live on the
 * prototype; the first settle wins, later ones are no-ops).
 */
export class AmqpDelivery implements Delivery {
  topic: string | undefined;
  subject: string | undefined;
  deliveryLimitReached: boolean | undefined;
  priority: number | undefined;
  expiresInMs: number | undefined;
  timestamp: number | undefined;
  reply: ((message: ReplyMessage) => Promise<void>) | undefined;
  private settled = false;

  constructor(
    readonly body: Uint8Array,
    readonly queue: string,
    readonly redelivered: boolean,
    readonly messageId: string,
    readonly contentType: string,
    readonly headers: Readonly<Record<string, HeaderValue>>,
    private readonly pending: PendingDelivery,
    private readonly settler: DeliverySettler,
  ) {}

  /** Whether ack, requeue or reject was called. */
  get isSettled(): boolean {
    return this.settled;
  }

  ack(): Promise<void> {
    return this.settle('ack');
  }

  requeue(): Promise<void> {
    return this.settle('requeue');
  }

  reject(): Promise<void> {
    return this.settle('reject');
  }

  private settle(how: Settlement): Promise<void> {
    if (this.settled) return DELIVERY_SETTLED;
    this.settled = true;
    this.settler.settle(this.pending, how);
    return DELIVERY_SETTLED;
  }
}
