// Metro's OpenTelemetry support: one home for every package's spans, trace headers and metrics.
// `@opentelemetry/api` is an optional peer, loaded lazily; without it (or without an SDK) all of
// this is a no-op that builds nothing.
export { SemanticAttributes, messagingSystemOf } from './messaging-attributes.js';
export { TraceHeaders, injectActiveTraceContext } from './trace-headers.js';
export type { TraceCarrier } from './trace-headers.js';
export { tracingEnabled } from './tracing-switch.js';
export { startMetroSpan, activeTraceIds, activeTraceparent, withoutLibraryInstrumentation } from './metro-span.js';
export type { MetroSpan, MetroSpanKind, MetroSpanOptions, TelemetryAttributes } from './metro-span.js';
export { metroMetrics, observeGauge } from './metro-metrics.js';
export type { MetroInstruments, MetricCounter, MetricHistogram, ObserveGauge } from './metro-metrics.js';
export { messagingSpanName, messagingAttributes, metricAttributes, destinationNames } from './messaging-spans.js';
export type { MessagingHop, MessagingOperation } from './messaging-spans.js';
export { beginPublish, endPublish, withTraceHeaders } from './publish-telemetry.js';
export type { PublishTelemetry } from './publish-telemetry.js';
export { beginStoredPublish } from './stored-publish.js';
