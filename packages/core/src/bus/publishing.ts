import type { Codec } from '../codec.js';
import { createEnvelope, toOutgoingMessage } from '../create-envelope.js';
import type { MessageDefinition } from '../definitions.js';
import { toMilliseconds } from '../duration.js';
import type { Envelope } from '../envelope.js';
import type { PublishOptions } from '../publish-options.js';
import { messagingSystemOf } from '../telemetry/messaging-attributes.js';
import { beginPublish, endPublish, withTraceHeaders } from '../telemetry/publish-telemetry.js';
import type { OutgoingMessage, Transport } from '../transport.js';
import { acceptsUnroutable, unroutablePolicyOf, type UnroutableEvents } from '../unroutable-policy.js';

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
  return async function publishEnvelope(definition, payload, publishOptions = {}) {
    const policy = unroutablePolicyOf(definition, publishOptions.unroutable);
    const envelope = await createEnvelope(definition, payload as never, { ...publishOptions, source: service });
    const telemetry = beginPublish(system, envelope);
    const headers = withTraceHeaders(publishOptions.headers, telemetry);
    const message: OutgoingMessage = toOutgoingMessage(envelope, publishOptions.codec ?? codec, {
      ...(headers ? { headers } : {}),
      ...(publishOptions.priority !== undefined ? { priority: publishOptions.priority } : {}),
      ...(publishOptions.delay !== undefined ? { delayMs: toMilliseconds(publishOptions.delay) } : {}),
    });
    try {
      await transport.publish(message);
    } catch (err) {
      if (!acceptsUnroutable(policy, message, err)) {
        endPublish(telemetry, err);
        throw err;
      }
      unroutable.record(message);
    }
    endPublish(telemetry);
    return envelope;
  };
}
