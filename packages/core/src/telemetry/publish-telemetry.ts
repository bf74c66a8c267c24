import type { Envelope } from '../envelope.js';
import type { HeaderValue } from '../transport.js';
import { metroMetrics } from './metro-metrics.js';
import { startMetroSpan, type MetroSpan } from './metro-span.js';
import { messagingSpanName, writeMessagingAttributes, type MessagingHop } from './messaging-spans.js';
import { metricAttributeSet } from './metric-attribute-sets.js';
import { tracingEnabled } from './tracing-switch.js';

/** One publish being traced and measured (see {@link beginPublish}). */
export interface PublishTelemetry {
  readonly span: MetroSpan | undefined;
  /** The trace headers the published copy carries (`traceparent`, `tracestate`). */
  readonly headers: Record<string, HeaderValue>;
  readonly hop: MessagingHop;
  readonly startedAt: number;
}

/**
 * Opens the `publish <topic>` / `send <service>` producer span of an envelope (child of the active
 * span), sets the envelope's `traceparent` to it (for codecs that carry no headers) and returns
 * the headers to publish with; `undefined`, having done nothing, when neither tracing nor metrics
 * are on. With `create`, it is the `create <topic>` span of a message written to an outbox (the
 * relay publishes it later, `system` may be unknown): no `sent` metric is recorded for it.
 *
 * @example
 * ```ts
 * const telemetry = beginPublish('rabbitmq', envelope);
 * try { await transport.publish(message); endPublish(telemetry); } catch (err) { endPublish(telemetry, err); throw err; }
 * ```
 */
export function beginPublish(system: string | undefined, envelope: Envelope, options: { scope?: string; create?: boolean } = {}): PublishTelemetry | undefined {
  const tracing = tracingEnabled();
  if (!tracing && metroMetrics() === undefined) return undefined;
  const event = envelope.kind === 'event';
  const { scope } = options;
  const hop: MessagingHop = {
    system: system ?? '',
    operation: options.create ? 'create' : event ? 'publish' : 'send',
    destination: (event ? envelope.topic : envelope.service) ?? '',
    routingKey: event ? (envelope.subject ?? envelope.type) : envelope.service,
    messageId: envelope.id,
    conversationId: envelope.correlationid,
  };
  const headers: Record<string, HeaderValue> = {};
  const span = tracing
    ? startMetroSpan(messagingSpanName(hop), { kind: 'producer', attributes: writeMessagingAttributes({}, hop), ...(scope !== undefined ? { scope } : {}) })
    : undefined;
  if (span !== undefined) {
    span.inject(headers);
    (envelope as { traceparent?: string }).traceparent = span.traceparent;
  }
  return { span, headers, hop, startedAt: performance.now() };
}

/**
 * Ends a publish's span (with the error, if it failed) and records `messaging.client.sent.messages`
 * and `messaging.client.operation.duration` (publish until confirm).
 *
 * @example
 * ```ts
 * endPublish(telemetry, err);
 * ```
 */
export function endPublish(telemetry: PublishTelemetry | undefined, error?: unknown): void {
  if (telemetry === undefined) return;
  if (error !== undefined) telemetry.span?.fail(error);
  telemetry.span?.end();
  const metrics = metroMetrics();
  if (metrics === undefined || telemetry.hop.operation === 'create') return;
  const { hop } = telemetry;
  const attributes = metricAttributeSet(hop.system, hop.operation, hop.destination, undefined, error === undefined ? 'ok' : 'error');
  metrics.sent.add(1, attributes);
  metrics.publishDuration.record((performance.now() - telemetry.startedAt) / 1000, attributes);
}

/**
 * Headers to publish with: the caller's, plus the trace headers of the publish span.
 *
 * @example
 * ```ts
 * toOutgoingMessage(envelope, codec, { headers: withTraceHeaders(options.headers, telemetry) });
 * ```
 */
export function withTraceHeaders(
  headers: Readonly<Record<string, HeaderValue>> | undefined,
  telemetry: PublishTelemetry | undefined,
): Record<string, HeaderValue> | undefined {
  if (telemetry === undefined || telemetry.span === undefined) return headers === undefined ? undefined : { ...headers };
  return headers === undefined ? telemetry.headers : { ...headers, ...telemetry.headers };
}
