import { type HeaderValue } from '@metro/core';
import { metroMetrics, startMetroSpan, TraceHeaders } from '@metro/core/telemetry';

/**
 * The headers a schedule's message is enqueued with when it fires, and its telemetry: records
 * `metro.scheduler.lateness` (firing time minus due time) and, with tracing on, opens a
 * `fire <name>` span that starts a new trace (a firing can come hours after the call) linked to
 * the `schedule` call's span, whose context the row kept. The message then continues the firing
 * span (`traceparent`) and links to the call (`metro-trace-link`, carried to the consumer).
 *
 * @example
 * ```ts
 * const headers = traceFiring(row.headers, row.due_at, 'orders.reminder', row.id);
 * ```
 */
export function traceFiring(headers: Readonly<Record<string, HeaderValue>>, dueAt: Date | string, name: string, id: string): Record<string, HeaderValue> {
  const latenessMs = Date.now() - new Date(dueAt).getTime();
  metroMetrics()?.schedulerLateness.record(Math.max(0, latenessMs) / 1000, { 'metro.schedule.name': name });
  const call = headers[TraceHeaders.traceparent];
  const span = startMetroSpan(`fire ${name}`, {
    kind: 'producer',
    scope: '@metro/scheduler',
    parent: 'root',
    links: [typeof call === 'string' ? call : undefined],
    attributes: { 'metro.schedule.id': id, 'metro.schedule.name': name, 'metro.schedule.lateness_ms': latenessMs },
  });
  if (span === undefined) return { ...headers };
  const out: Record<string, HeaderValue> = { ...headers };
  delete out[TraceHeaders.traceparent];
  delete out[TraceHeaders.tracestate];
  if (typeof call === 'string') out[TraceHeaders.link] = call;
  span.inject(out);
  span.end();
  return out;
}
