import type { Codec, EncodedMessage, IncomingMessage } from '../codec.js';
import type { Envelope } from '../envelope.js';
import { DecodeError } from '../errors.js';
import { parseJsonSafely } from '../safe-json.js';
import { decodeUtf8 } from './json-envelope-codec.js';

const encoder = new TextEncoder();

/** The envelope Python services commonly publish: exchange = aggregate, routing key = event type. */
export interface AggregateEnvelope {
  readonly eventId: string;
  readonly eventTime: string;
  readonly eventType: string;
  readonly aggregate: string;
  readonly payload: unknown;
  readonly correlationId?: string;
  readonly causationId?: string;
}

function optionalString(record: Record<string, unknown>, key: string): string | undefined {
  const value = record[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new DecodeError(`Aggregate envelope "${key}" must be a string.`);
  return value;
}

/**
 * A codec for the `{ eventId, eventTime, eventType, aggregate, payload }` envelope that Python
 * services publish to exchange = aggregate with routing key = event type. Decoding maps it to a
 * Metro envelope (`id` = eventId, `topic` = aggregate, `type` = eventType, `data` = payload);
 * encoding does the reverse, so `metro.publish(def, payload, { codec: aggregateEnvelopeCodec })`
 * goes to exchange = the definition's topic (the aggregate) with routing key = its type.
 * Optional `correlationId` / `causationId` fields are read and written.
 *
 * @example
 * ```ts
 * const UserCreated = defineEvent({ topic: 'user', type: 'user_created', schema });
 * metro.on({ topic: 'user', subject: 'user_created', codec: aggregateEnvelopeCodec, external: true }, onUser);
 * await metro.publish(UserCreated, user, { codec: aggregateEnvelopeCodec });
 * ```
 */
export const aggregateEnvelopeCodec: Codec = {
  name: 'aggregate-envelope',
  encode(envelope: Envelope): EncodedMessage {
    const body: AggregateEnvelope = {
      eventId: envelope.id,
      eventTime: envelope.time,
      eventType: envelope.type,
      aggregate: envelope.topic ?? envelope.service ?? envelope.source,
      payload: envelope.data,
      ...(envelope.correlationid !== undefined ? { correlationId: envelope.correlationid } : {}),
      ...(envelope.causationid !== undefined ? { causationId: envelope.causationid } : {}),
    };
    return { body: encoder.encode(JSON.stringify(body)), contentType: 'application/json', headers: {} };
  },
  decode(message: IncomingMessage): Envelope {
    const value = parseJsonSafely(decodeUtf8(message.body));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DecodeError('Aggregate envelope must be a JSON object with eventId, eventTime, eventType, aggregate and payload.');
    }
    const record = value as Record<string, unknown>;
    for (const key of ['eventId', 'eventType', 'aggregate'] as const) {
      if (typeof record[key] !== 'string' || record[key] === '') {
        throw new DecodeError(`Aggregate envelope "${key}" is missing or not a string; is this producer using another format?`);
      }
    }
    const rawTime = record.eventTime;
    const time =
      typeof rawTime === 'number' ? new Date(rawTime > 1e12 ? rawTime : rawTime * 1000) : typeof rawTime === 'string' ? new Date(rawTime) : undefined;
    if (time === undefined || Number.isNaN(time.getTime())) {
      throw new DecodeError(`Aggregate envelope "eventTime" is missing or not a date: "${String(rawTime)}".`);
    }
    if (!('payload' in record)) throw new DecodeError('Aggregate envelope has no "payload".');
    const correlationid = optionalString(record, 'correlationId');
    const causationid = optionalString(record, 'causationId');
    const aggregate = record.aggregate as string;
    const type = record.eventType as string;
    return {
      specversion: '1.0',
      id: record.eventId as string,
      source: aggregate,
      type,
      time: time.toISOString(),
      datacontenttype: 'application/json',
      data: record.payload,
      kind: 'event',
      topic: aggregate,
      subject: message.subject ?? type,
      ...(correlationid !== undefined ? { correlationid } : {}),
      ...(causationid !== undefined ? { causationid } : {}),
    };
  },
};
