import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';

export const AMQP_URL = process.env['METRO_AMQP_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A unique name for this test file's queues and exchanges. */
export function unique(label: string): string {
  return `metro-amqp-test-${label}-${randomBytes(4).toString('hex')}`;
}

export { sleep, waitFor } from '@metro/test-support';

/** A raw amqplib connection for setting up and checking things around the transport. */
export class RawBroker {
  private constructor(
    readonly model: ChannelModel,
    readonly channel: Channel,
  ) {}

  static async connect(url = AMQP_URL): Promise<RawBroker> {
    const model = await amqp.connect(url);
    model.on('error', () => undefined);
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    return new RawBroker(model, channel);
  }

  /** A fresh channel (a failing operation closes only it). */
  async scratch(): Promise<Channel> {
    const ch = await this.model.createChannel();
    ch.on('error', () => undefined);
    return ch;
  }

  /** Whether a queue exists (a passive check on its own channel). */
  async queueExists(queue: string): Promise<boolean> {
    const ch = await this.scratch();
    try {
      await ch.checkQueue(queue);
      return true;
    } catch {
      return false;
    } finally {
      await ch.close().catch(() => undefined);
    }
  }

  async deleteQueues(...queues: string[]): Promise<void> {
    for (const q of queues) {
      const ch = await this.scratch();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  }

  async deleteExchanges(...exchanges: string[]): Promise<void> {
    for (const e of exchanges) {
      const ch = await this.scratch();
      await ch.deleteExchange(e).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.model.close().catch(() => undefined);
  }
}

/** The queues and exchanges one test file creates, with unique names, deleted together at the end. */
export class TestNames {
  readonly queues: string[] = [];
  readonly exchanges: string[] = [];

  /** A unique queue name; its `<name>.expired` companion (see the transport's README) is cleaned up too. */
  queue(label: string): string {
    const name = unique(label);
    this.queues.push(name, `${name}.expired`);
    return name;
  }

  /** A unique exchange (topic) name. */
  exchange(label: string): string {
    const name = unique(label);
    this.exchanges.push(name);
    return name;
  }

  /** Deletes everything registered, ignoring what is already gone. */
  async cleanup(broker: RawBroker): Promise<void> {
    await broker.deleteQueues(...this.queues);
    await broker.deleteExchanges(...this.exchanges);
  }
}
