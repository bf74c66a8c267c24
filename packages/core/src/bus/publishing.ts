import type { Codec } from '../codec.js';
import { buildEnvelope, toOutgoingMessage } from '../create-envelope.js';
import type { MessageDefinition } from '../definitions.js';
import { toMilliseconds } from '../duration.js';
import type { Envelope } from '../envelope.js';
import type { PublishOptions } from '../publish-options.js';
import { messagingSystemOf } from '../telemetry/messaging-attributes.js';
import { beginPublish, endPublish, withTraceHeaders, type PublishTelemetry } from '../telemetry/publish-telemetry.js';
import { isThenable } from '../thenable.js';
import type { Destination, OutgoingMessage, Transport } from '../transport.js';
import { acceptsUnroutable, unroutablePolicyOf, type UnroutableEvents, type UnroutablePolicy } from '../unroutable-policy.js';

/** Publishes one event or command of the bus; see `metro.publish` and `metro.send`. */
export type PublishEnvelope = (definition: MessageDefinition, payload: unknown, options?: PublishOptions) => Promise<Envelope>;

/**
 * Builds the bus's publish step: validates and wraps the payload in an envelope, encodes it and
 * resolves once the transport confirmed it. An event nobody receives follows its unroutable
 * policy (accepted and counted, or the error). With an OpenTelemetry SDK registered, each publish
 * is a `publish <topic>` / `send <service>` producer span whose trace context the message carries.
 *
 * @example
 * ```ts
 * const publish = createPublisher('billing', transport, jsonEnvelopeCodec, unroutable);
 * await publish(OrderPlaced, { orderId: '1' });
 * ```
 */
export function createPublisher(service: string, transport: Transport, codec: Codec, unroutable: UnroutableEvents): PublishEnvelope {
  const system = messagingSystemOf(transport.name);
  /** Sends a built envelope; not async, so a publish holds one promise chain while it awaits its confirm. */
  function send(envelope: Envelope, publishOptions: PublishOptions, policy: UnroutablePolicy, definition: MessageDefinition): Promise<Envelope> {
    const telemetry = beginPublish(system, envelope);
    const headers = withTraceHeaders(publishOptions.headers, telemetry);
    const useCodec = publishOptions.codec ?? codec;
    const message: OutgoingMessage = toOutgoingMessage(
      envelope,
      useCodec,
      headers === undefined && publishOptions.priority === undefined && publishOptions.delay === undefined
        ? destinationOnly(definition, envelope, useCodec)
        : {
            ...(headers ? { headers } : {}),
            ...(publishOptions.priority !== undefined ? { priority: publishOptions.priority } : {}),
            ...(publishOptions.delay !== undefined ? { delayMs: toMilliseconds(publishOptions.delay) } : {}),
          },
    );
    return settleOf(transport.publish(message), envelope, telemetry, policy, message.destination, unroutable);
  }
  return function publishEnvelope(definition, payload, publishOptions = NO_OPTIONS) {
    try {
      const policy = unroutablePolicyOf(definition, publishOptions.unroutable);
      const built = buildEnvelope(definition, payload as never, publishOptions, service);
      return isThenable(built) ? built.then((envelope) => send(envelope, publishOptions, policy, definition)) : send(built, publishOptions, policy, definition);
    } catch (err) {
      return Promise.reject(err);
    }
  };
}

const NO_OPTIONS: PublishOptions = Object.freeze({});

/**
 * The publish's promise of its envelope. A function of its own so that what waits for the broker's
 * confirm holds the envelope and the destination only, not the encoded message (its body, headers
 * and options): a publisher keeps up to its whole window of publishes waiting, and what they hold
 * is what the garbage collector copies.
 */
function settleOf(
  confirmed: Promise<void>,
  envelope: Envelope,
  telemetry: PublishTelemetry | undefined,
  policy: UnroutablePolicy,
  destination: Destination,
  unroutable: UnroutableEvents,
): Promise<Envelope> {
  return confirmed.then(
    () => {
      endPublish(telemetry);
      return envelope;
    },
    (err: unknown) => {
      if (!acceptsUnroutable(policy, { destination }, err)) {
        endPublish(telemetry, err);
        throw err;
      }
      unroutable.record({ destination, messageId: envelope.id });
      endPublish(telemetry);
      return envelope;
    },
  );
}

/**
 * `toOutgoingMessage`'s extras for a plain publish: the destination of an event on its default
 * subject, made once per definition (the codec's own destination, when it has one, wins as before).
 */
function destinationOnly(definition: MessageDefinition, envelope: Envelope, codec: Codec): { destination?: Destination } {
  if (definition.kind !== 'event' || codec.destination !== undefined || envelope.subject !== definition.type) return NO_EXTRAS;
  let extras = defaultDestinations.get(definition);
  if (extras === undefined) {
    extras = { destination: Object.freeze({ kind: 'topic', topic: definition.topic, subject: definition.type }) };
    defaultDestinations.set(definition, extras);
  }
  return extras;
}

const NO_EXTRAS = Object.freeze({});
const defaultDestinations = new WeakMap<MessageDefinition, { destination: Destination }>();
