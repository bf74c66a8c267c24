import type { Channel, ChannelModel, ConfirmChannel, Message } from 'amqplib';
import { PublishError, UnroutableError, type Logger } from '@metro/core';
import { withoutLibraryInstrumentation } from '@metro/core/telemetry';
import type { PublishMode } from './publish-mode.js';
import { publishTimeoutError } from './publish-timeout.js';
import { describeOf, publishOptions, type RawPublish } from './raw-publish.js';

interface PendingPublish {
  returned: boolean;
  readonly raw: RawPublish;
  readonly deadline: number;
  readonly settle: (err: Error | undefined) => void;
}

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
    const seq = ++this.sequence;
    let entry!: PendingPublish;
    const promise = new Promise<void>((resolve, reject) => {
      entry = {
        returned: false,
        raw,
        deadline,
        settle: (err) => {
          if (!this.pending.delete(seq)) return;
          if (err) reject(err);
          else resolve();
        },
      };
    });
    this.pending.set(seq, entry);
    try {
      // Metro's publish span already put the trace context in the headers: an amqplib auto-instrumentation adds no second span.
      withoutLibraryInstrumentation(() =>
        (channel as ConfirmChannel).publish(raw.exchange, raw.routingKey, raw.body, publishOptions(raw), (err: unknown) => {
          if (err) entry.settle(confirmError(err, describeOf(raw)));
          else if (entry.returned) entry.settle(new UnroutableError(describeOf(raw)));
          else entry.settle(undefined);
        }),
      );
    } catch (err) {
      this.pending.delete(seq);
      this.logger.debug({ err }, 'metro: publish on a closed channel; retrying on the next one');
      return undefined;
    }
    if (!this.sweeper) this.sweeper = setInterval(() => this.sweep(), CONFIRM_SWEEP_MS);
    return promise;
  }

  claimReturn(message: Message): boolean {
    const { exchange, routingKey } = message.fields;
    const messageId = message.properties.messageId as unknown;
    for (const entry of this.pending.values()) {
      const o = entry.raw;
      if (
        !entry.returned &&
        o.mandatory &&
        o.exchange === exchange &&
        o.routingKey === routingKey &&
        (o.options.messageId ?? undefined) === (messageId ?? undefined)
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
      if (entry.deadline <= now) entry.settle(publishTimeoutError('awaiting the broker confirm', describeOf(entry.raw), this.publishTimeoutMs));
    }
    if (this.pending.size === 0) this.stop();
  }
}

/** The `PublishError` of a nack, or of a channel lost before the broker confirmed. */
function confirmError(err: unknown, describe: string): PublishError {
  const nacked = err instanceof Error && err.message === 'message nacked';
  return new PublishError(
    nacked
      ? `RabbitMQ refused ${describe} (nack). Retry the publish; check the broker logs if it persists.`
      : `The channel or connection to RabbitMQ was lost before the broker confirmed ${describe}; it may or may not have been delivered. Retry the publish (consumers must tolerate duplicates).`,
    { cause: err, details: nacked ? { destination: describe, nacked: true } : { destination: describe } },
  );
}
