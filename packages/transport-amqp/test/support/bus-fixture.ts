import { createMetro, InMemoryFailureStore, type Metro, type MetroOptions } from '@metro/core';
import { AmqpTransport } from '../../src/index.js';
import { AMQP_URL, RawBroker, unique } from './broker.js';

/**
 * Buses on RabbitMQ for a test file: unique service and topic names, and on `close()` every bus
 * stopped and every queue and exchange it named deleted.
 */
export class BusFixture {
  readonly #queues: string[] = [];
  readonly #exchanges: string[] = [];
  readonly #metros: Metro[] = [];
  #broker: RawBroker | undefined;

  /** A raw amqplib connection for what a test does behind the bus's back. */
  get broker(): RawBroker {
    if (this.#broker === undefined) throw new Error('BusFixture.open() first');
    return this.#broker;
  }

  async open(): Promise<void> {
    this.#broker = await RawBroker.connect();
  }

  /** A unique service name; its queue and `.expired` companion are deleted on close. */
  service(label: string): string {
    const name = unique(label);
    this.queues(name);
    return name;
  }

  /** A unique topic name; its exchange is deleted on close. */
  topic(label: string): string {
    const name = unique(label);
    this.#exchanges.push(name);
    return name;
  }

  /** Queues (with their `.expired` companions) to delete on close. */
  queues(...names: string[]): void {
    for (const name of names) this.#queues.push(name, `${name}.expired`);
  }

  /** A bus of service `name` on RabbitMQ with an in-memory failure store; `options` override. */
  metro(name: string, options: Partial<MetroOptions> = {}): Metro {
    const metro = createMetro({ service: name, transport: new AmqpTransport({ url: AMQP_URL }), failures: new InMemoryFailureStore(), ...options });
    this.#metros.push(metro);
    return metro;
  }

  async close(): Promise<void> {
    for (const m of this.#metros) await m.stop();
    await this.#broker?.deleteQueues(...this.#queues);
    await this.#broker?.deleteExchanges(...this.#exchanges);
    await this.#broker?.close();
  }
}
