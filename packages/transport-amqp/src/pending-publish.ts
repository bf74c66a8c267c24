import { PublishError, UnroutableError } from '@metro/core';
import { describeOf, type RawPublish } from './raw-publish.js';

/**
 * A publish waiting for its broker confirm. It keeps what a return is matched by and what errors
 * name, not the publish itself (its body, options and headers): a publisher holds its whole window
 * of these, and what they hold is what the garbage collector copies. A class, so that one object
 * and its promise are all a waiting publish costs (its confirm callback closes over `this` only).
 */
export class PendingPublish {
  returned = false;
  readonly exchange: string;
  readonly routingKey: string;
  readonly messageId: unknown;
  readonly mandatory: boolean;
  readonly describe: RawPublish['describe'];
  readonly promise: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: Error) => void;

  /** amqplib's confirm callback of this publish: settles it with the ack, the nack, or the return seen before the ack. */
  readonly onConfirm = (err: unknown): void => {
    if (err) this.settle(confirmError(err, describeOf(this)));
    else if (this.returned) this.settle(new UnroutableError(describeOf(this)));
    else this.settle(undefined);
  };

  constructor(
    private readonly waiting: Map<number, PendingPublish>,
    readonly seq: number,
    raw: RawPublish,
    readonly deadline: number,
  ) {
    this.exchange = raw.exchange;
    this.routingKey = raw.routingKey;
    this.messageId = raw.options.messageId;
    this.mandatory = raw.mandatory;
    this.describe = raw.describe;
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Settles once (later calls do nothing) and leaves the waiting publishes. */
  settle(err: Error | undefined): void {
    if (!this.waiting.delete(this.seq)) return;
    if (err) this.reject(err);
    else this.resolve();
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
