import type { Context, SpanContext } from '@opentelemetry/api';
import type { HeaderValue } from '../transport.js';
import { otelApi } from './otel-api.js';
import { tracingEnabled } from './tracing-switch.js';

/** The message headers Metro's trace context travels in. */
export const TraceHeaders = {
  /** W3C `traceparent` of the span that sent this copy. */
  traceparent: 'traceparent',
  /** W3C `tracestate`, next to it. */
  tracestate: 'tracestate',
  /**
   * A `traceparent` the receiving span links to (not its parent): a retry's first attempt, the
   * original of a replayed failure or a resumed deferred message, the `schedule` call of a firing.
   */
  link: 'metro-trace-link',
} as const;

/** Where a trace context can be read from: message headers, else a `traceparent` (the envelope's, a stored row's). */
export interface TraceCarrier {
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
  readonly traceparent?: string | null | undefined;
}

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);

/**
 * Reads a W3C `traceparent` (version 00) into a remote span context, or `undefined` when it is
 * missing or malformed (an all-zero id included).
 *
 * @example
 * ```ts
 * parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')?.traceId; // '4bf9…'
 * ```
 */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.length === 55 ? value : value.trim();
  if (!TRACEPARENT.test(text)) return undefined;
  // Fixed offsets of `00-<32 hex>-<16 hex>-<2 hex>`: no match array, no second and third regex.
  const traceId = text.slice(3, 35);
  const spanId = text.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || spanId === ZERO_SPAN_ID) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(text.slice(53, 55), 16), isRemote: true };
}

/**
 * Formats a span context as a W3C `traceparent`.
 *
 * @example
 * ```ts
 * formatTraceparent({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }); // '00-4bf9…-01'
 * ```
 */
export function formatTraceparent(span: { readonly traceId: string; readonly spanId: string; readonly traceFlags: number }): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

function headerString(headers: Readonly<Record<string, unknown>> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** True when the application registered a propagator (NodeSDK registers W3C trace context and baggage). */
export function hasGlobalPropagator(): boolean {
  return otelApi()!.propagation.fields().length > 0;
}

/**
 * The context a received message continues: its headers' trace context (read by the registered
 * propagator, else as W3C `traceparent` / `tracestate`), else the carrier's `traceparent` (the
 * envelope's, for codecs and stores without headers). Built on the root context, never on what
 * happens to be active (a delivery callback runs in whatever context its connection was opened in).
 */
export function extractTraceContext(carrier: TraceCarrier): Context {
  const api = otelApi()!;
  const headers = carrier.headers;
  const fromHeaders = headerString(headers, TraceHeaders.traceparent);
  if (fromHeaders !== undefined && hasGlobalPropagator()) return api.propagation.extract(api.ROOT_CONTEXT, headers as Record<string, unknown>);
  const parent = parseTraceparent(fromHeaders ?? carrier.traceparent ?? undefined);
  if (parent === undefined) return api.ROOT_CONTEXT;
  const state = fromHeaders !== undefined ? headerString(headers, TraceHeaders.tracestate) : undefined;
  return api.trace.setSpanContext(api.ROOT_CONTEXT, state !== undefined ? { ...parent, traceState: api.createTraceState(state) } : parent);
}

/**
 * Writes the trace context of `context` (default: the active one) into message headers: through
 * the registered propagator, else as W3C `traceparent` / `tracestate`. Writes nothing when there
 * is no valid span in it.
 */
export function injectTraceContext(headers: Record<string, HeaderValue>, context?: Context): void {
  const api = otelApi();
  if (api === undefined) return;
  const ctx = context ?? api.context.active();
  const span = api.trace.getSpanContext(ctx);
  if (span === undefined || !api.isSpanContextValid(span)) return;
  if (hasGlobalPropagator()) {
    api.propagation.inject(ctx, headers);
    if (headers[TraceHeaders.traceparent] !== undefined) return;
  }
  headers[TraceHeaders.traceparent] = formatTraceparent(span);
  const state = span.traceState?.serialize();
  if (state) headers[TraceHeaders.tracestate] = state;
}

/**
 * Writes the active span's trace context into headers (message headers, an HTTP request's): what
 * Metro's REST client and custom transports call. Nothing when tracing is off or no span is active.
 *
 * @example
 * ```ts
 * const headers: Record<string, string> = {};
 * injectActiveTraceContext(headers); // { traceparent: '00-…-01' } inside a span
 * ```
 */
export function injectActiveTraceContext(headers: Record<string, HeaderValue>): void {
  if (tracingEnabled()) injectTraceContext(headers);
}
