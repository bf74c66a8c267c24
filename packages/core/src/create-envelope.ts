import type { Codec } from './codec.js';
import { currentCorrelation } from './context.js';
import type { MessageDefinition, PayloadInput, Payload } from './definitions.js';
import type { Envelope } from './envelope.js';
import { uuidv7 } from './id.js';
import { validateNow } from './schema.js';
import { isThenable } from './thenable.js';
import type { Destination, OutgoingMessage, HeaderValue } from './transport.js';
import { MetroHeaders } from './envelope.js';

/** Options of one publish/send. */
export interface EnvelopeOptions {
  /** Message id; default a new UUIDv7. Set it to make a publish idempotent downstream (the inbox dedupes by it). */
  readonly id?: string | undefined;
  /** Overrides the correlation id taken from the current context. */
  readonly correlationId?: string | undefined;
  /** Overrides the causation id taken from the current context. */
  readonly causationId?: string | undefined;
  /** Events: routing subject; default the event type. */
  readonly subject?: string | undefined;
  /** Commands: overrides the definition's `expiresIn` (ms). */
  readonly expiresInMs?: number | undefined;
}

/**
 * Validates `payload` with the definition's schema and builds its envelope, carrying the
 * correlation id, causation id and traceparent of the current context (see `withCorrelation`).
 * A publish with no context starts a new correlation (the message's own id).
 * Throws `ValidationError` for an invalid payload: nothing is sent.
 *
 * @example
 * ```ts
 * const envelope = await createEnvelope(OrderPlaced, { orderId: '1' }, { source: 'orders' });
 * ```
 */
export async function createEnvelope<D extends MessageDefinition>(
  definition: D,
  payload: PayloadInput<D>,
  options: EnvelopeOptions & { source: string; now?: number },
): Promise<Envelope<Payload<D>>> {
  return buildEnvelope(definition, payload, options, options.source);
}

/**
 * {@link createEnvelope} without a promise when the schema is synchronous (the bus's publish hot
 * path): returns the envelope, or a promise of it when the schema validates asynchronously.
 * `source` is separate from the options so a publish does not copy its options to add it.
 *
 * @example
 * ```ts
 * const built = buildEnvelope(OrderPlaced, { orderId: '1' }, {}, 'orders');
 * const envelope = isThenable(built) ? await built : built;
 * ```
 */
export function buildEnvelope<D extends MessageDefinition>(
  definition: D,
  payload: PayloadInput<D>,
  options: EnvelopeOptions & { now?: number },
  source: string,
): Envelope<Payload<D>> | Promise<Envelope<Payload<D>>> {
  // Validate, but put the payload as given on the wire: consumers parse it with the same schema,
  // so transforms and defaults apply exactly once, on the consuming side (a transformed output,
  // e.g. a Date or a number from a string, would not survive JSON or re-validation).
  // A synchronous schema with a valid payload costs no promise.
  const checked = validateNow(definition.schema, payload, () => `Payload of ${definition.kind} "${describeDefinition(definition)}"`);
  if (isThenable(checked)) return Promise.resolve(checked).then(() => envelopeOf(definition, payload, options, source));
  return envelopeOf(definition, payload, options, source);
}

function envelopeOf<D extends MessageDefinition>(
  definition: D,
  payload: PayloadInput<D>,
  options: EnvelopeOptions & { now?: number },
  source: string,
): Envelope<Payload<D>> {
  const now = options.now ?? Date.now();
  const id = options.id ?? uuidv7(now);
  const context = currentCorrelation();
  const causationid = options.causationId ?? context?.causationId;
  // Built by assignment in the wire's key order (this runs once per publish: no spreads).
  const envelope: { -readonly [K in keyof Envelope<Payload<D>>]: Envelope<Payload<D>>[K] } = {
    specversion: '1.0',
    id,
    source,
    type: definition.type,
    time: isoTime(now),
    datacontenttype: 'application/json',
    data: payload as unknown as Payload<D>,
    correlationid: options.correlationId ?? context?.correlationId ?? id,
    kind: definition.kind,
  };
  if (causationid !== undefined) envelope.causationid = causationid;
  if (context?.traceparent !== undefined) envelope.traceparent = context.traceparent;
  if (definition.kind === 'event') {
    envelope.topic = definition.topic;
    envelope.subject = options.subject ?? definition.type;
    return envelope;
  }
  envelope.service = definition.service;
  const expiresIn = options.expiresInMs ?? definition.expiresInMs;
  if (expiresIn !== undefined) envelope.expiresat = new Date(now + expiresIn).toISOString();
  return envelope;
}

let lastTimeMs = Number.NaN;
let lastTimeText = '';

/** `new Date(ms).toISOString()`, made once per millisecond: a busy publisher sends many messages in the same one. */
function isoTime(ms: number): string {
  if (ms !== lastTimeMs) {
    lastTimeMs = ms;
    lastTimeText = new Date(ms).toISOString();
  }
  return lastTimeText;
}

/** `orders.placed` / `sms:send`: how a definition is named in messages and logs. */
export function describeDefinition(definition: MessageDefinition): string {
  return definition.kind === 'event' ? `${definition.topic}.${definition.type}` : `${definition.service}:${definition.type}`;
}

/** Where an envelope goes: its topic and subject for events, its service's command route for commands. */
export function destinationOf(envelope: Envelope): Destination {
  if (envelope.kind === 'event') {
    return { kind: 'topic', topic: envelope.topic ?? '', subject: envelope.subject ?? envelope.type };
  }
  return { kind: 'command', service: envelope.service ?? '' };
}

/**
 * Encodes an envelope into the message a transport publishes (the same bytes the outbox stores).
 *
 * @example
 * ```ts
 * await transport.publish(toOutgoingMessage(envelope, jsonEnvelopeCodec));
 * ```
 */
export function toOutgoingMessage(
  envelope: Envelope,
  codec: Codec,
  extra: { headers?: Record<string, HeaderValue>; priority?: number; delayMs?: number; destination?: Destination } = {},
): OutgoingMessage {
  const encoded = codec.encode(envelope);
  // Built by assignment (no spreads): this runs once per publish.
  const message: { -readonly [K in keyof OutgoingMessage]: OutgoingMessage[K] } = {
    destination: extra.destination ?? codec.destination?.(envelope) ?? destinationOf(envelope),
    body: encoded.body,
    messageId: envelope.id,
    contentType: encoded.contentType,
    headers: extra.headers === undefined ? encoded.headers : { ...encoded.headers, ...extra.headers },
    timestamp: Date.parse(envelope.time),
  };
  if (envelope.expiresat !== undefined) message.expiresInMs = Math.max(1, Date.parse(envelope.expiresat) - Date.now());
  if (extra.priority !== undefined) message.priority = extra.priority;
  if (extra.delayMs !== undefined) message.delayMs = extra.delayMs;
  return message;
}

export { MetroHeaders };
