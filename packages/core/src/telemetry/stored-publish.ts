import type { OutgoingMessage } from '../transport.js';
import { metroMetrics } from './metro-metrics.js';
import { startMetroSpan } from './metro-span.js';
import { destinationNames, messagingAttributes, messagingSpanName, type MessagingHop } from './messaging-spans.js';
import type { PublishTelemetry } from './publish-telemetry.js';
import { TraceHeaders } from './trace-headers.js';
import { tracingEnabled } from './tracing-switch.js';

/**
 * Opens the producer span of a stored message being published (an outbox row by its relay): a
 * child of the trace context its stored headers carry (the `create` span of the transaction that
 * wrote it), and returns the message to publish, its headers now carrying this span. `undefined`
 * when tracing and metrics are off: publish `message` as it is. End it with `endPublish`.
 *
 * @example
 * ```ts
 * const traced = beginStoredPublish('rabbitmq', row.message, '@metro/outbox-pg');
 * await transport.publish(traced?.message ?? row.message);
 * endPublish(traced?.telemetry);
 * ```
 */
export function beginStoredPublish(
  system: string,
  message: OutgoingMessage,
  scope: string,
): { readonly message: OutgoingMessage; readonly telemetry: PublishTelemetry } | undefined {
  const tracing = tracingEnabled();
  if (!tracing && metroMetrics() === undefined) return undefined;
  const names = destinationNames(message.destination);
  const hop: MessagingHop = {
    system,
    operation: message.destination.kind === 'topic' ? 'publish' : 'send',
    destination: names.destination,
    routingKey: names.routingKey,
    messageId: message.messageId,
  };
  const span = tracing
    ? startMetroSpan(messagingSpanName(hop), { kind: 'producer', scope, parent: { headers: message.headers }, attributes: messagingAttributes(hop) })
    : undefined;
  const telemetry: PublishTelemetry = { span, headers: {}, hop, startedAt: performance.now() };
  if (span === undefined) return { message, telemetry };
  const headers = { ...message.headers };
  delete headers[TraceHeaders.traceparent];
  delete headers[TraceHeaders.tracestate];
  span.inject(headers);
  return { message: { ...message, headers }, telemetry };
}
