import type { Codec, EncodedMessage, IncomingMessage } from '../codec.js';
import type { Envelope } from '../envelope.js';
import { DecodeError } from '../errors.js';
import { deterministicId } from '../id.js';
import { parseJsonSafely } from '../safe-json.js';
import { decodeUtf8 } from './json-envelope-codec.js';
import { CORRELATION_HEADER } from '../context.js';

const encoder = new TextEncoder();

function headerString(headers: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A codec for producers that publish a bare JSON body (no envelope). Decoding builds the
 * envelope from what the transport knows: `type` and `subject` from the routing subject,
 * `topic` from the topic, `id` from the transport message id or else a deterministic hash of
 * topic + subject + body (so a redelivery keeps one id and the inbox dedupes it), `time` from
 * the transport timestamp, correlation from the `x-correlation-id` header. Encoding writes
 * only `data` as JSON.
 *
 * @example
 * ```ts
 * metro.on({ topic: 'legacy', subject: 'user.created', codec: plainJsonCodec }, (data) => { ... });
 * await metro.publish(UserCreated, user, { codec: plainJsonCodec });
 * ```
 */
export const plainJsonCodec: Codec = {
  name: 'plain-json',
  encode(envelope: Envelope): EncodedMessage {
    const headers: Record<string, string> = {};
    if (envelope.correlationid !== undefined) headers[CORRELATION_HEADER] = envelope.correlationid;
    return { body: encoder.encode(JSON.stringify(envelope.data ?? null)), contentType: 'application/json', headers };
  },
  decode(message: IncomingMessage): Envelope {
    const data = parseJsonSafely(decodeUtf8(message.body));
    const subject = message.subject;
    if (subject === undefined || subject === '') {
      throw new DecodeError('A plain JSON message needs a routing subject to give it a type; publish it with a routing key.');
    }
    const topic = message.topic ?? '';
    const id = message.messageId !== undefined && message.messageId !== '' ? message.messageId : deterministicId(topic, subject, message.body);
    const correlationid = headerString(message.headers, CORRELATION_HEADER);
    const traceparent = headerString(message.headers, 'traceparent');
    return {
      specversion: '1.0',
      id,
      source: headerString(message.headers, 'source') ?? (topic || 'unknown'),
      type: subject,
      time: new Date(message.timestamp ?? Date.now()).toISOString(),
      datacontenttype: 'application/json',
      data,
      kind: 'event',
      ...(topic !== '' ? { topic } : {}),
      subject,
      ...(correlationid !== undefined ? { correlationid } : {}),
      ...(traceparent !== undefined ? { traceparent } : {}),
    };
  },
};
