import { afterAll, beforeAll } from 'vitest';
import { runTransportContract } from '@metro/core/contract';
import { AmqpTransport } from '../src/index.js';
import { AMQP_URL, RawBroker } from './support/broker.js';

let broker: RawBroker;
beforeAll(async () => {
  broker = await RawBroker.connect();
});
afterAll(async () => {
  await broker.close();
});

runTransportContract('amqp', () => new AmqpTransport({ url: AMQP_URL, reconnect: { initialDelayMs: 50 } }), {
  timeScale: 3,
  cleanup: async ({ queues, topics }) => {
    await broker.deleteQueues(...queues, ...queues.map((q) => `${q}.expired`));
    await broker.deleteExchanges(...topics);
  },
});
