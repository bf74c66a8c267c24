import type { Channel, ChannelModel, ConfirmChannel, Message } from 'amqplib';
import type { Logger } from '@metro/core';
import { withoutLibraryInstrumentation } from '@metro/core/telemetry';
import type { PublishMode } from './publish-mode.js';
import { publishTimeoutError } from './publish-timeout.js';
import { PendingPublish } from './pending-publish.js';
import { describeOf, publishOptions, type RawPublish } from './raw-publish.js';

/** How often outstanding confirms are checked against their deadline. */
export const CONFIRM_SWEEP_MS = 100;

/**
 * Publishing with publisher confirms (events and commands): each publish resolves on the broker's
 * ack and rejects with `PublishError` on a nack, on a channel or connection lost before the ack,
 * or when its deadline passes, and with `UnroutableError` when its mandatory message was returned.
 * RabbitMQ sends a return before the ack of the same message, and returns in publish order, so a
 * return belongs to the oldest unconfirmed publish with the same exchange, routing key and message id.
 */
export class ConfirmedPublish implements PublishMode {
  private sequence = 0;
  private readonly pending = new Map<number, PendingPublish>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly publishTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  get outstanding(): number {
    return this.pending.size;
  }

  openChannel(model: ChannelModel): Promise<Channel> {
    return model.createConfirmChannel();
  }

  send(channel: Channel, raw: RawPublish, deadline: number): Promise<void> | undefined {
    const entry = new PendingPublish(this.pending, ++this.sequence, raw, deadline);
    this.pending.set(entry.seq, entry);
    try {
      // Metro's publish span already put the trace context in the headers: an amqplib auto-instrumentation adds no second span.
      withoutLibraryInstrumentation(
        () => (channel as ConfirmChannel).publish(raw.exchange, raw.routingKey, raw.body, publishOptions(raw), entry.onConfirm),
        channel.publish,
      );
    } catch (err) {
      this.pending.delete(entry.seq);
      this.logger.debug({ err }, 'metro: publish on a closed channel; retrying on the next one');
      return undefined;
    }
    if (!this.sweeper) this.sweeper = setInterval(() => this.sweep(), CONFIRM_SWEEP_MS);
    return entry.promise;
  }

  claimReturn(message: Message): boolean {
    const { exchange, routingKey } = message.fields;
    const messageId = message.properties.messageId as unknown;
    for (const entry of this.pending.values()) {
      if (
        !entry.returned &&
        entry.mandatory &&
        entry.exchange === exchange &&
        entry.routingKey === routingKey &&
        (entry.messageId ?? undefined) === (messageId ?? undefined)
      ) {
        entry.returned = true;
        return true;
      }
    }
    return false;
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** Rejects publishes whose confirm did not come by their deadline; stops when nothing is pending. */
  private sweep(): void {
    const now = Date.now();
    for (const entry of this.pending.values()) {
      if (entry.deadline <= now) entry.settle(publishTimeoutError('awaiting the broker confirm', describeOf(entry), this.publishTimeoutMs));
    }
    if (this.pending.size === 0) this.stop();
  }
}
