import type { Envelope } from '../envelope.js';
import type { Delivery } from '../transport.js';
import { activeTraceIds } from './metro-span.js';
import { parseTraceparent, TraceHeaders } from './trace-headers.js';

/**
 * The trace id a failure record keeps: the active span's (the delivery's process span) when
 * tracing is on, else the trace its `traceparent` header or envelope attribute names, else null.
 * Needs no OpenTelemetry SDK: a `traceparent` from an instrumented producer is enough.
 *
 * @example
 * ```ts
 * failureTraceId(delivery, envelope); // '4bf92f3577b34da6a3ce929d0e0e4736'
 * ```
 */
export function failureTraceId(delivery: Pick<Delivery, 'headers'>, envelope: Envelope | null): string | null {
  const active = activeTraceIds();
  if (active !== undefined) return active.traceId;
  return (parseTraceparent(delivery.headers[TraceHeaders.traceparent]) ?? parseTraceparent(envelope?.traceparent))?.traceId ?? null;
}
