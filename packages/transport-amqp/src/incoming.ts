import type { Message } from 'amqplib';
import type { HeaderValue } from '@metro/core';
import { DELAY_HEADER, TARGET_EXCHANGE_HEADER, TARGET_QUEUE_HEADER } from './delay-topology.js';

const INTERNAL_HEADERS = new Set([DELAY_HEADER, TARGET_EXCHANGE_HEADER, TARGET_QUEUE_HEADER]);

/** The transport headers of a message as Metro sees them: primitives only, Metro's internal routing headers removed. */
export function publicHeaders(raw: Record<string, unknown> | undefined): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  if (!raw) return headers;
  for (const key of Object.keys(raw)) {
    if (INTERNAL_HEADERS.has(key) || key === '__proto__') continue;
    const value = raw[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') headers[key] = value;
    else if (typeof value === 'bigint') headers[key] = Number(value);
    else if (Buffer.isBuffer(value)) headers[key] = value.toString('utf8');
  }
  return headers;
}

/**
 * The exchange and routing key a message was originally published with: for a message that came
 * through the delay exchanges or the expired-companion queue, the first `x-death` entry (and the
 * target-exchange header) tell; otherwise the delivery fields do.
 */
export function originalRoute(message: Message, internalExchanges: ReadonlySet<string>): { exchange: string; routingKey: string } {
  const headers = message.properties.headers as Record<string, unknown> | undefined;
  const target = headers?.[TARGET_EXCHANGE_HEADER];
  const deaths = headers?.['x-death'];
  const first = Array.isArray(deaths) ? (deaths[deaths.length - 1] as Record<string, unknown> | undefined) : undefined;
  const keys = first?.['routing-keys'];
  const firstKey = Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : undefined;
  if (typeof target === 'string') {
    return { exchange: target, routingKey: firstKey ?? message.fields.routingKey };
  }
  if (first && (message.fields.exchange === '' || internalExchanges.has(message.fields.exchange))) {
    const exchange = typeof first['exchange'] === 'string' ? first['exchange'] : message.fields.exchange;
    return { exchange, routingKey: firstKey ?? message.fields.routingKey };
  }
  return { exchange: message.fields.exchange, routingKey: message.fields.routingKey };
}

/**
 * True when the broker dead-lettered this copy because it reached its queue's delivery limit
 * (quorum queues' `x-delivery-limit`): the newest `x-death` entry says `delivery_limit`.
 */
export function reachedDeliveryLimit(message: Message): boolean {
  const deaths = (message.properties.headers as Record<string, unknown> | undefined)?.['x-death'];
  const newest = Array.isArray(deaths) ? (deaths[0] as Record<string, unknown> | undefined) : undefined;
  return newest?.['reason'] === 'delivery_limit';
}
