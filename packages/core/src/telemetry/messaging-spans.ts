import type { Destination } from '../transport.js';
import { SemanticAttributes as A } from './messaging-attributes.js';
import type { TelemetryAttributes } from './metro-span.js';

/** The messaging operations Metro traces: `publish` (events), `send` (commands), `create` (an outbox row), `process` (a delivery). */
export type MessagingOperation = 'publish' | 'send' | 'create' | 'process';

const OPERATION_TYPE: Record<MessagingOperation, string> = { publish: 'send', send: 'send', create: 'create', process: 'process' };

/** One messaging hop, as its span and metrics describe it. */
export interface MessagingHop {
  /** `messaging.system`: `rabbitmq`, `memory`, ... (see `messagingSystemOf`). */
  readonly system: string;
  readonly operation: MessagingOperation;
  /** `messaging.destination.name`: the topic of an event, the service of a command, or the queue. */
  readonly destination: string;
  /** `messaging.rabbitmq.destination.routing_key`: an event's subject, a command's service. */
  readonly routingKey?: string | undefined;
  readonly messageId?: string | undefined;
  /** `messaging.message.conversation_id`: Metro's correlation id. */
  readonly conversationId?: string | undefined;
  /** `messaging.destination.subscription.name`: the queue a delivery came from. */
  readonly subscription?: string | undefined;
  readonly bodySize?: number | undefined;
}

/**
 * The span name of a hop, as the messaging conventions write it: `publish orders`, `process orders`.
 *
 * @example
 * ```ts
 * messagingSpanName({ operation: 'publish', destination: 'orders' }); // 'publish orders'
 * ```
 */
export function messagingSpanName(hop: Pick<MessagingHop, 'operation' | 'destination'>): string {
  return `${hop.operation} ${hop.destination}`;
}

/**
 * The attributes of a hop's span (and the low-cardinality part of its metrics).
 *
 * @example
 * ```ts
 * startMetroSpan(messagingSpanName(hop), { kind: 'producer', attributes: messagingAttributes(hop) });
 * ```
 */
export function messagingAttributes(hop: MessagingHop): TelemetryAttributes {
  return writeMessagingAttributes({}, hop);
}

/**
 * Writes a hop's span attributes into `out`, leaving out the missing ones (so the span needs no
 * cleaned copy): one object per span, the caller's extra keys added to the same one.
 */
export function writeMessagingAttributes(out: Record<string, string | number | boolean>, hop: MessagingHop): Record<string, string | number | boolean> {
  if (hop.system) out[A.messagingSystem] = hop.system;
  out[A.operationName] = hop.operation;
  out[A.operationType] = OPERATION_TYPE[hop.operation];
  out[A.destinationName] = hop.destination;
  if (hop.routingKey !== undefined) out[A.routingKey] = hop.routingKey;
  if (hop.messageId !== undefined) out[A.messageId] = hop.messageId;
  if (hop.conversationId !== undefined) out[A.conversationId] = hop.conversationId;
  if (hop.subscription !== undefined) out[A.subscriptionName] = hop.subscription;
  if (hop.bodySize !== undefined) out[A.bodySize] = hop.bodySize;
  return out;
}

/**
 * The metric attributes of a hop: system, operation and destination only (ids would make every
 * message its own series).
 *
 * @example
 * ```ts
 * metroMetrics()?.sent.add(1, { ...metricAttributes(hop), 'metro.outcome': 'ok' });
 * ```
 */
export function metricAttributes(hop: Pick<MessagingHop, 'system' | 'operation' | 'destination'>): Record<string, string> {
  return { [A.messagingSystem]: hop.system, [A.operationName]: hop.operation, [A.destinationName]: hop.destination };
}

/**
 * Where a message goes, as `messaging.destination.name` and routing key: the topic and subject of
 * an event, the service of a command, the queue of a queue-bound copy.
 *
 * @example
 * ```ts
 * destinationNames({ kind: 'topic', topic: 'orders', subject: 'placed' }); // { destination: 'orders', routingKey: 'placed' }
 * ```
 */
export function destinationNames(destination: Destination): { readonly destination: string; readonly routingKey: string } {
  if (destination.kind === 'topic') return { destination: destination.topic, routingKey: destination.subject };
  if (destination.kind === 'command') return { destination: destination.service, routingKey: destination.service };
  return { destination: destination.queue, routingKey: destination.queue };
}
