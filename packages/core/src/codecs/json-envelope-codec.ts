import type { Codec, EncodedMessage, IncomingMessage } from '../codec.js';
import type { Envelope } from '../envelope.js';
import { DecodeError } from '../errors.js';
import { parseJsonSafely } from '../safe-json.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Content type of Metro's own envelope (CloudEvents structured mode, JSON). */
export const CLOUDEVENTS_JSON = 'application/cloudevents+json';

const REQUIRED = ['specversion', 'id', 'source', 'type', 'time', 'kind'] as const;
const OPTIONAL_STRINGS = ['topic', 'subject', 'service', 'correlationid', 'causationid', 'expiresat', 'traceparent', 'datacontenttype'] as const;

/** This codec puts everything in the body: one frozen empty header set shared by every message. */
const NO_HEADERS: Readonly<Record<string, never>> = Object.freeze({});

/** RFC 3339 date-time, checked without Date.parse on the hot path (Date.parse is the fallback for other forms). */
const RFC3339 = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/** The last time text found to be a date: messages published in the same millisecond carry the same one. */
let lastDate = '';

function isDate(value: string): boolean {
  if (value === lastDate) return true;
  const valid = RFC3339.test(value) || !Number.isNaN(Date.parse(value));
  if (valid) lastDate = value;
  return valid;
}

/** Decodes UTF-8 strictly: invalid byte sequences are a DecodeError, not replacement characters. */
export function decodeUtf8(body: Uint8Array): string {
  try {
    return decoder.decode(body);
  } catch (err) {
    throw new DecodeError('Body is not valid UTF-8 text.', { cause: err });
  }
}

/**
 * Metro's default codec: the whole envelope as one JSON document with CloudEvents 1.0 attribute
 * names. Decoding rejects non-JSON, non-objects, missing or mistyped required attributes and
 * prototype-pollution keys with a `DecodeError`.
 *
 * @example
 * ```ts
 * const bytes = jsonEnvelopeCodec.encode(envelope).body;
 * const back = jsonEnvelopeCodec.decode({ body: bytes, headers: {} });
 * ```
 */
export const jsonEnvelopeCodec: Codec = {
  name: 'cloudevents-json',
  encode(envelope: Envelope): EncodedMessage {
    return { body: Buffer.from(JSON.stringify(envelope), 'utf8'), contentType: CLOUDEVENTS_JSON, headers: NO_HEADERS };
  },
  decode(message: IncomingMessage): Envelope {
    const value = parseJsonSafely(decodeUtf8(message.body));
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new DecodeError('Body is JSON but not an object; a Metro envelope is a JSON object.');
    }
    const record = value as Record<string, unknown>;
    for (const key of REQUIRED) {
      if (typeof record[key] !== 'string' || record[key] === '') {
        throw new DecodeError(`Envelope attribute "${key}" is missing or not a string. Publish with Metro, or configure the codec that matches this producer.`);
      }
    }
    if (record.specversion !== '1.0') throw new DecodeError(`Unsupported specversion "${String(record.specversion)}"; Metro reads CloudEvents 1.0.`);
    if (record.kind !== 'event' && record.kind !== 'command')
      throw new DecodeError(`Envelope "kind" must be "event" or "command", got "${String(record.kind)}".`);
    if (!('data' in record)) throw new DecodeError('Envelope has no "data" attribute.');
    for (const key of OPTIONAL_STRINGS) {
      if (record[key] !== undefined && typeof record[key] !== 'string') throw new DecodeError(`Envelope attribute "${key}" must be a string.`);
    }
    if (!isDate(record.time as string)) throw new DecodeError(`Envelope "time" is not a date: "${String(record.time)}".`);
    if (record.expiresat !== undefined && !isDate(record.expiresat as string)) {
      throw new DecodeError(`Envelope "expiresat" is not a date: "${String(record.expiresat)}".`);
    }
    // `record` is a fresh object from JSON.parse: complete it in place rather than copying it.
    if (record.datacontenttype === undefined) record.datacontenttype = 'application/json';
    return record as unknown as Envelope;
  },
};
