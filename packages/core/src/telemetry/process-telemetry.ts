import type { Envelope } from '../envelope.js';
import type { Delivery } from '../transport.js';
import { SemanticAttributes as A } from './messaging-attributes.js';
import { metroMetrics } from './metro-metrics.js';
import { startMetroSpan, type MetroSpan } from './metro-span.js';
import { messagingSpanName, writeMessagingAttributes, type MessagingHop } from './messaging-spans.js';
import { metricAttributeSet } from './metric-attribute-sets.js';
import { TraceHeaders } from './trace-headers.js';
import { tracingEnabled } from './tracing-switch.js';

/** How a delivery's dispatch ended, as `metro.outcome` says it. */
export type ProcessOutcome = 'ok' | 'failed' | 'requeued';

/** One delivery being traced and measured (see {@link beginProcess}). */
export interface ProcessTelemetry {
  readonly span: MetroSpan | undefined;
  readonly hop: MessagingHop;
  readonly startedAt: number;
}

const OUTCOME_ATTRIBUTES: Record<ProcessOutcome, Readonly<Record<string, string>>> = {
  ok: Object.freeze({ [A.outcome]: 'ok' }),
  failed: Object.freeze({ [A.outcome]: 'failed' }),
  requeued: Object.freeze({ [A.outcome]: 'requeued' }),
};

/**
 * Opens the `process <topic>` consumer span of a delivery: child of the trace context its headers
 * carry (else its envelope's `traceparent`), linked to the `metro-trace-link` one (a retry's first
 * attempt, a replay's original). When `@opentelemetry/instrumentation-amqplib` already opened the
 * delivery's span, that one is named and described instead. `undefined` when tracing and metrics are off.
 *
 * @example
 * ```ts
 * const telemetry = beginProcess('rabbitmq', 'billing', delivery, envelope, 1);
 * const outcome = telemetry?.span ? telemetry.span.run(runHandlers) : runHandlers();
 * endProcess(telemetry, 'ok');
 * ```
 */
export function beginProcess(system: string, service: string, delivery: Delivery, envelope: Envelope, attempt: number): ProcessTelemetry | undefined {
  const tracing = tracingEnabled();
  if (!tracing && metroMetrics() === undefined) return undefined;
  const hop: MessagingHop = {
    system,
    operation: 'process',
    destination: envelope.kind === 'event' ? (envelope.topic ?? delivery.topic ?? delivery.queue) : (envelope.service ?? delivery.queue),
    routingKey: envelope.kind === 'event' ? (envelope.subject ?? delivery.subject) : envelope.service,
    messageId: envelope.id,
    conversationId: envelope.correlationid,
    subscription: delivery.queue,
    bodySize: delivery.body.byteLength,
  };
  const link = delivery.headers[TraceHeaders.link];
  const span = tracing
    ? startMetroSpan(messagingSpanName(hop), {
        kind: 'consumer',
        parent: { headers: delivery.headers, traceparent: envelope.traceparent },
        ...(typeof link === 'string' ? { links: [link] } : {}),
        adoptDeliverySpan: true,
        attributes: writeMessagingAttributes({ [A.attempt]: attempt, [A.service]: service }, hop),
      })
    : undefined;
  return { span, hop, startedAt: performance.now() };
}

/**
 * Ends a delivery's span (error status when a handler failed) and records
 * `messaging.client.consumed.messages` and `messaging.process.duration`.
 *
 * @example
 * ```ts
 * endProcess(telemetry, 'failed');
 * ```
 */
export function endProcess(telemetry: ProcessTelemetry | undefined, outcome: ProcessOutcome): void {
  if (telemetry === undefined) return;
  const { span } = telemetry;
  if (span !== undefined) {
    span.setAttributes(OUTCOME_ATTRIBUTES[outcome]);
    if (outcome === 'failed') span.fail(new Error('a handler failed (see its span)'));
    span.end();
  }
  const metrics = metroMetrics();
  if (metrics === undefined) return;
  const { hop } = telemetry;
  const attributes = metricAttributeSet(hop.system, hop.operation, hop.destination, hop.subscription ?? '', outcome);
  metrics.consumed.add(1, attributes);
  metrics.processDuration.record((performance.now() - telemetry.startedAt) / 1000, attributes);
}

/**
 * Counts a delivery that failed before any handler ran (decode, expired, no handler, oversized):
 * `messaging.client.consumed.messages` with outcome `failed`.
 *
 * @example
 * ```ts
 * countUndispatched('rabbitmq', delivery);
 * ```
 */
export function countUndispatched(system: string, delivery: Delivery): void {
  metroMetrics()?.consumed.add(1, metricAttributeSet(system, 'process', delivery.topic ?? delivery.queue, delivery.queue, 'failed'));
}
