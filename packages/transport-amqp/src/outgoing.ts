import type { ChannelModel, Options } from 'amqplib';
import type { OutgoingMessage } from '@metro/core';
import type { DelayTarget, DelayTopology } from './delay-topology.js';
import type { RawPublish } from './raw-publish.js';
import type { Topology } from './topology.js';
import { describeDestination } from './destination-names.js';

export { describeDestination };

function toBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Turns a Metro message into an AMQP publish: topic → its exchange with the subject as routing
 * key, command → the `metro.commands` direct exchange with the service as routing key, queue → the
 * default exchange. With `delayMs`, the copy goes to `metro.delay` instead (keeping the routing
 * key) with the headers that route it back after the delay; it carries no AMQP `expiration`, which
 * would cut its delay short (the envelope's `expiresat` still tells the bus).
 * Returns synchronously when nothing needs declaring (the hot path).
 */
export function toRawPublish(model: ChannelModel, message: OutgoingMessage, topology: Topology, delays: DelayTopology): RawPublish | Promise<RawPublish> {
  const { destination } = message;
  let exchange: string;
  let routingKey: string;
  let pending: Promise<void> | undefined;
  if (destination.kind === 'topic') {
    exchange = topology.exchangeName(destination.topic);
    routingKey = destination.subject;
    if (!topology.isTopicReady(destination.topic)) pending = topology.ensureTopic(model, destination.topic);
  } else if (destination.kind === 'command') {
    exchange = topology.commandsExchange;
    routingKey = destination.service;
    if (!topology.commandsExchangeReady) pending = topology.ensureCommands(model);
  } else {
    exchange = '';
    routingKey = topology.queueName(destination.queue);
  }
  const delayMs = message.delayMs !== undefined && message.delayMs > 0 ? message.delayMs : undefined;
  // Built by assignment (no spreads): this runs once per publish.
  const options: Options.Publish = {
    persistent: true,
    mandatory: true,
    messageId: message.messageId,
    contentType: message.contentType,
  };
  if (hasKeys(message.headers)) options.headers = message.headers;
  if (message.priority !== undefined) options.priority = message.priority;
  if (message.timestamp !== undefined) options.timestamp = Math.floor(message.timestamp / 1000);
  if (message.expiresInMs !== undefined && delayMs === undefined) options.expiration = String(Math.max(0, Math.round(message.expiresInMs)));
  const body = toBuffer(message.body);
  if (delayMs === undefined) {
    // `describe`: the destination itself, named only if an error needs it (this runs once per publish).
    const raw: RawPublish = { exchange, routingKey, body, options, mandatory: true, describe: destination };
    return pending ? pending.then(() => raw) : raw;
  }
  return (async () => {
    await pending;
    const target: DelayTarget = destination.kind === 'queue' ? { queue: routingKey } : { exchange };
    const delayed = await delays.prepare(model, delayMs, target);
    return {
      exchange: delays.delayExchange,
      routingKey,
      body,
      options: { ...options, headers: { ...message.headers, ...delayed.headers } },
      mandatory: true,
      describe: () => `${describeDestination(destination)} (delayed ${delayed.delayMs} ms)`,
    };
  })();
}

/** Whether a record has any own enumerable key (an empty headers table still costs amqplib an encoding). */
export function hasKeys(record: object): boolean {
  for (const _ in record) return true;
  return false;
}
