// The broker side of the outbox benches: a durable topic exchange the relays publish to and a
// durable queue bound to all of it, removed again at the end. Used by outbox-relay.bench.ts and
// support/outbox-latency-probe.ts.
import amqp from 'amqplib';

/** A connection with the benches' exchange and queue declared, and a channel to manage them. */
export interface OutboxBroker {
  readonly conn: amqp.ChannelModel;
  /** For purging the queue between rounds. */
  readonly admin: amqp.Channel;
  /** The exchange's name (the rows' destination topic). */
  readonly topic: string;
  readonly queue: string;
  /** Deletes the queue and the exchange, then closes the connection. */
  close(): Promise<void>;
}

/**
 * Connects to `url` and declares the exchange and the queue, both named `name`, the queue bound with `#`.
 *
 * @example
 * ```ts
 * const broker = await openOutboxBroker(AMQP_URL, `bench-outbox-${tag}`);
 * await broker.admin.purgeQueue(broker.queue);
 * await broker.close();
 * ```
 */
export async function openOutboxBroker(url: string, name: string): Promise<OutboxBroker> {
  const conn = await amqp.connect(url);
  const admin = await conn.createChannel();
  await admin.assertExchange(name, 'topic', { durable: true });
  await admin.assertQueue(name, { durable: true });
  await admin.bindQueue(name, name, '#');
  return {
    conn,
    admin,
    topic: name,
    queue: name,
    close: async () => {
      await admin.deleteQueue(name).catch(() => undefined);
      await admin.deleteExchange(name).catch(() => undefined);
      await conn.close();
    },
  };
}
