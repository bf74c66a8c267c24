import type { Codec, EncodedMessage, IncomingMessage } from '../codec.js';
import { CORRELATION_HEADER } from '../context.js';
import type { Envelope } from '../envelope.js';
import { ConfigurationError, DecodeError } from '../errors.js';
import { deterministicId } from '../id.js';
import { parseJsonSafely } from '../safe-json.js';
import type { Destination } from '../transport.js';
import { decodeUtf8 } from './json-envelope-codec.js';

const encoder = new TextEncoder();

/** The command body django-microservices-communication's `send_command` publishes: the arguments plus `meta`. */
export interface ServiceCommandBody {
  /** `expiredTime` (ISO-8601) when the command was sent with a timeout; `{}` otherwise. */
  readonly meta: { readonly expiredTime?: string };
  readonly [argument: string]: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function expiryOf(meta: unknown): string | undefined {
  if (!isRecord(meta)) return undefined;
  const raw = meta.expiredTime ?? meta.expired_time;
  if (raw === undefined || raw === null) return undefined;
  const time = typeof raw === 'string' || typeof raw === 'number' ? new Date(raw) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) throw new DecodeError(`Command "meta.expiredTime" is not a date: "${String(raw)}".`);
  return time.toISOString();
}

/**
 * A codec for the commands of django-microservices-communication (`send_command(service_name,
 * arguments, command_name, timeout)`): published to the exchange named after the service with
 * routing key = the command's name, the body being the arguments with a `meta` object
 * (`{ expiredTime }` when sent with a timeout).
 *
 * Decoding gives a command envelope (`service` = the exchange, `type` = the routing key, `data` =
 * the arguments without `meta`, `expiresat` = `meta.expiredTime`), so `metro.handle(Command, ...)`
 * handles it once the service queue is bound to that exchange:
 * `createMetro({ bindings: [{ topic: 'sms', codec: serviceCommandCodec }] })`.
 * Encoding does the reverse, and sends the command to that exchange instead of Metro's command
 * route: `metro.send(SendSms, payload, { codec: serviceCommandCodec })` reaches a Python consumer
 * bound to exchange `sms`. The payload must be a JSON object. Argument names are kept as they are
 * (that library camelizes them on the way out and underscoreizes them on the way in: use camelCase
 * field names in the schema).
 *
 * @example
 * ```ts
 * const SendSms = defineCommand({ service: 'sms', type: 'send', schema: z.object({ phone: z.string(), text: z.string() }) });
 * const sms = createMetro({ service: 'sms', transport, bindings: [{ topic: 'sms', codec: serviceCommandCodec }] });
 * sms.handle(SendSms, ({ phone, text }) => provider.send(phone, text));
 * await billing.send(SendSms, { phone, text }, { codec: serviceCommandCodec, expiresInMs: 30_000 });
 * ```
 */
export const serviceCommandCodec: Codec = {
  name: 'service-command',
  encode(envelope: Envelope): EncodedMessage {
    if (!isRecord(envelope.data))
      throw new ConfigurationError(`serviceCommandCodec encodes JSON object payloads; "${envelope.type}" has another shape: give its schema an object.`);
    const body: ServiceCommandBody = { ...envelope.data, meta: envelope.expiresat !== undefined ? { expiredTime: envelope.expiresat } : {} };
    const headers: Record<string, string> = {};
    if (envelope.correlationid !== undefined) headers[CORRELATION_HEADER] = envelope.correlationid;
    return { body: encoder.encode(JSON.stringify(body)), contentType: 'application/json', headers };
  },
  decode(message: IncomingMessage): Envelope {
    const value = parseJsonSafely(decodeUtf8(message.body));
    if (!isRecord(value)) throw new DecodeError('A service command must be a JSON object of arguments (with an optional "meta").');
    const type = message.subject;
    const service = message.topic;
    if (type === undefined || type === '' || service === undefined || service === '') {
      throw new DecodeError('A service command needs its exchange (the service) and a routing key (the command name); send it with both.');
    }
    const { meta, ...data } = value;
    const expiresat = expiryOf(meta);
    const id = message.messageId !== undefined && message.messageId !== '' ? message.messageId : deterministicId(service, type, message.body);
    const correlation = message.headers[CORRELATION_HEADER];
    return {
      specversion: '1.0',
      id,
      source: service,
      type,
      time: new Date(message.timestamp ?? Date.now()).toISOString(),
      datacontenttype: 'application/json',
      data,
      kind: 'command',
      service,
      ...(expiresat !== undefined ? { expiresat } : {}),
      ...(typeof correlation === 'string' && correlation !== '' ? { correlationid: correlation } : {}),
    };
  },
  destination(envelope: Envelope): Destination {
    return { kind: 'topic', topic: envelope.kind === 'command' ? (envelope.service ?? '') : (envelope.topic ?? ''), subject: envelope.type };
  },
};
