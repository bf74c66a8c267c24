import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '@metro/core';
import { AmqpTransport } from '../src/index.js';

describe('AmqpTransport broker URLs', () => {
  it('refuses url and urls together, and a list that names no broker', () => {
    expect(() => new AmqpTransport({ url: 'amqp://a', urls: ['amqp://b'] })).toThrow(ConfigurationError);
    expect(() => new AmqpTransport({ urls: [] })).toThrow(/names no broker/);
    expect(() => new AmqpTransport({ url: ' , ' })).toThrow(/names no broker/);
  });

  it('takes commas in url (and so in METRO_AMQP_URL) as a list of nodes, and tries the next node after a failed connect', async () => {
    const tried: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn: (o: Record<string, unknown>) => void (o['role'] === 'publish' && typeof o['url'] === 'string' && tried.push(o['url'])),
    };
    const transport = new AmqpTransport({
      url: 'amqp://127.0.0.1:1, amqp://127.0.0.1:2',
      connectTimeoutMs: 600,
      reconnect: { initialDelayMs: 20, maxDelayMs: 40 },
      logger,
    });
    await expect(transport.start()).rejects.toThrow(/did not|could not|connect/i);
    await transport.close();
    expect(new Set(tried.map((u) => new URL(u).port))).toEqual(new Set(['1', '2']));
    // The publish connection goes from one node to the other, never the same twice in a row.
    expect(tried.every((u, i) => i === 0 || u !== tried[i - 1])).toBe(true);
  });
});

describe('AmqpTransport with quorum queues', () => {
  it('refuses priorities, which RabbitMQ 3.10 refuses on quorum queues with a channel error, as a ConfigurationError saying so', async () => {
    expect(() => new AmqpTransport({ queueType: 'quorum', maxPriority: 5 })).toThrow(/Quorum queues do not support priorities/);
    const transport = new AmqpTransport({ queueType: 'quorum', logger: { debug() {}, info() {}, warn() {}, error() {} } });
    await transport.start();
    const queue = `metro-options-qq-${process.pid}-${Date.now()}`;
    await expect(transport.declareQueue({ queue, maxPriority: 5, commandsFor: queue })).rejects.toThrow(ConfigurationError);
    expect(await transport.inspectQueue(queue)).toBeUndefined(); // nothing declared, not even the .expired companion
    expect(await transport.inspectQueue(`${queue}.expired`)).toBeUndefined();
    await transport.close();
  });
});
