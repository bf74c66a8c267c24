import type { Attributes, Context, Link, Span, SpanContext, Tracer } from '@opentelemetry/api';
import type { HeaderValue } from '../transport.js';
import { otelApi } from './otel-api.js';
import {
  extractTraceContext,
  formatTraceparent,
  hasGlobalPropagator,
  injectTraceContext,
  parseTraceparent,
  TraceHeaders,
  type TraceCarrier,
} from './trace-headers.js';
import { tracingEnabled } from './tracing-switch.js';

/** Attribute values Metro sets on spans and metrics; `undefined` ones are left out. */
export type TelemetryAttributes = Readonly<Record<string, string | number | boolean | undefined>>;

/** The span kinds of the OpenTelemetry API, by name. */
export type MetroSpanKind = 'internal' | 'server' | 'client' | 'producer' | 'consumer';

const KIND_NUMBER: Record<MetroSpanKind, number> = { internal: 0, server: 1, client: 2, producer: 3, consumer: 4 };

/** Scopes of auto-instrumentations that open a consumer span per delivery before Metro sees it. */
const DELIVERY_SCOPES = new Set(['@opentelemetry/instrumentation-amqplib']);

/** Options of {@link startMetroSpan}. */
export interface MetroSpanOptions {
  readonly kind: MetroSpanKind;
  /** The instrumentation scope (tracer name): the package that instruments this hop. Default `@metro/core`. */
  readonly scope?: string;
  readonly attributes?: TelemetryAttributes;
  /** The parent: a received message's trace context, `'root'` for a new trace, default the active span. */
  readonly parent?: TraceCarrier | 'root' | 'active';
  /** `traceparent`s this span links to (missing and malformed ones are skipped). */
  readonly links?: ReadonlyArray<string | null | undefined>;
  /**
   * A consumer span: when an auto-instrumentation (`@opentelemetry/instrumentation-amqplib`)
   * already opened the span of this delivery (in the trace the message carries), Metro names,
   * describes and ends that one instead of opening a second.
   */
  readonly adoptDeliverySpan?: boolean;
}

/** One span Metro opened (see {@link startMetroSpan}). */
export interface MetroSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** This span as a W3C `traceparent`. */
  readonly traceparent: string;
  setAttributes(attributes: TelemetryAttributes): void;
  /** Records the error as the span's exception and sets its status to error. */
  fail(error: unknown): void;
  /** Ends the span (once; later calls do nothing). */
  end(): void;
  /** Runs `fn` with this span active: spans, publishes and logs inside it are its children. */
  run<T>(fn: () => T): T;
  /** Writes this span's trace context into message headers. */
  inject(headers: Record<string, HeaderValue>): void;
}

const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * The attributes without their `undefined` values. Returns the object itself when it has none
 * (Metro's hooks build theirs that way, and the SDK copies what it is given): no copy per span.
 */
function cleanAttributes(attributes: TelemetryAttributes | undefined): Attributes {
  if (attributes === undefined) return NO_ATTRIBUTES;
  let clean = true;
  for (const key in attributes) {
    if (attributes[key] === undefined) {
      clean = false;
      break;
    }
  }
  if (clean) return attributes as Attributes;
  const out: Attributes = {};
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

let tracerProvider: unknown;
const tracers = new Map<string, Tracer>();

/** The tracer of a scope, kept per registered provider (the api's `getTracer` builds a proxy lookup and a key per call). */
function tracerOf(scope: string): Tracer {
  const api = otelApi()!;
  const provider = api.trace.getTracerProvider();
  if (provider !== tracerProvider) {
    tracerProvider = provider;
    tracers.clear();
  }
  let tracer = tracers.get(scope);
  if (tracer === undefined) {
    tracer = api.trace.getTracer(scope);
    tracers.set(scope, tracer);
  }
  return tracer;
}

function linksOf(traceparents: ReadonlyArray<string | null | undefined> | undefined): Link[] | undefined {
  if (traceparents === undefined) return undefined;
  const links: Link[] = [];
  for (const value of traceparents) {
    const context = parseTraceparent(value);
    if (context !== undefined) links.push({ context });
  }
  return links.length > 0 ? links : undefined;
}

class OpenSpan implements MetroSpan {
  private ended = false;
  private readonly spanContext: SpanContext;
  private formatted: string | undefined;
  constructor(
    private readonly span: Span,
    private readonly context: Context,
    /** An adopted span belongs to the instrumentation that opened it: it ends it. */
    private readonly owned: boolean,
  ) {
    this.spanContext = span.spanContext();
  }
  get traceId(): string {
    return this.spanContext.traceId;
  }
  get spanId(): string {
    return this.spanContext.spanId;
  }
  get traceparent(): string {
    return (this.formatted ??= formatTraceparent(this.spanContext));
  }
  setAttributes(attributes: TelemetryAttributes): void {
    this.span.setAttributes(cleanAttributes(attributes));
  }
  fail(error: unknown): void {
    const api = otelApi()!;
    const err = error instanceof Error ? error : new Error(String(error));
    this.span.recordException(err);
    this.span.setStatus({ code: api.SpanStatusCode.ERROR, message: err.message });
    this.span.setAttribute('error.type', (err as { code?: unknown }).code !== undefined ? String((err as { code?: unknown }).code) : err.name);
  }
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.owned) this.span.end();
  }
  run<T>(fn: () => T): T {
    return otelApi()!.context.with(this.context, fn);
  }
  inject(headers: Record<string, HeaderValue>): void {
    // A recording span has a valid context: without a propagator, its traceparent is written as is.
    if (!this.span.isRecording() || hasGlobalPropagator()) return injectTraceContext(headers, this.context);
    headers[TraceHeaders.traceparent] = this.traceparent;
    const state = this.spanContext.traceState?.serialize();
    if (state) headers[TraceHeaders.tracestate] = state;
  }
}

function deliverySpanToAdopt(): Span | undefined {
  const api = otelApi()!;
  const active = api.trace.getSpan(api.context.active());
  if (active === undefined || !active.isRecording()) return undefined;
  const scope = (active as Span & { instrumentationScope?: { name?: string } }).instrumentationScope?.name;
  return scope !== undefined && DELIVERY_SCOPES.has(scope) ? active : undefined;
}

/**
 * Whether the instrumentation's delivery span is in the trace the message carries: without a
 * registered propagator it could not read the headers and started a trace of its own, so Metro
 * opens its own span (continuing the message's trace) rather than adopt that one.
 */
function continuesParent(adopted: Span, parent: MetroSpanOptions['parent']): boolean {
  if (parent === undefined || parent === 'active' || parent === 'root') return true;
  const carried = otelApi()!.trace.getSpanContext(extractTraceContext(parent));
  return carried === undefined || carried.traceId === adopted.spanContext().traceId;
}

function parentContext(parent: MetroSpanOptions['parent']): Context {
  const api = otelApi()!;
  if (parent === undefined || parent === 'active') return api.context.active();
  if (parent === 'root') return api.ROOT_CONTEXT;
  return extractTraceContext(parent);
}

/**
 * Opens a span for one hop, or returns `undefined` when tracing is off (no `@opentelemetry/api`,
 * or no SDK registered): callers write `span?.end()` and pay nothing else. Metro's packages use it
 * for their hops; a custom transport or store can too.
 *
 * @example
 * ```ts
 * const span = startMetroSpan('publish orders', { kind: 'producer', attributes: { 'messaging.system': 'rabbitmq' } });
 * try {
 *   await span ? span.run(() => send()) : send();
 * } catch (err) {
 *   span?.fail(err);
 *   throw err;
 * } finally {
 *   span?.end();
 * }
 * ```
 */
export function startMetroSpan(name: string, options: MetroSpanOptions): MetroSpan | undefined {
  if (!tracingEnabled()) return undefined;
  const api = otelApi()!;
  if (options.adoptDeliverySpan) {
    const adopted = deliverySpanToAdopt();
    if (adopted !== undefined && continuesParent(adopted, options.parent)) {
      adopted.updateName(name);
      adopted.setAttributes(cleanAttributes(options.attributes));
      const link = linksOf(options.links);
      if (link !== undefined) adopted.addLinks(link);
      // Metro settles the delivery, so Metro ends it (the instrumentation ends spans on acks of the message objects it saw).
      return new OpenSpan(adopted, api.context.active(), true);
    }
  }
  const parent = parentContext(options.parent);
  const links = linksOf(options.links);
  const attributes = cleanAttributes(options.attributes);
  const kind = KIND_NUMBER[options.kind];
  const span = tracerOf(options.scope ?? '@metro/core').startSpan(name, links !== undefined ? { kind, attributes, links } : { kind, attributes }, parent);
  return new OpenSpan(span, api.trace.setSpan(parent, span), true);
}

/**
 * The trace and span id of the active span, when tracing is on and one is active (logs and
 * failure records carry them).
 *
 * @example
 * ```ts
 * const ids = activeTraceIds(); // { traceId: '4bf9…', spanId: '00f0…' } inside a handler
 * ```
 */
export function activeTraceIds(): { readonly traceId: string; readonly spanId: string } | undefined {
  if (!tracingEnabled()) return undefined;
  const api = otelApi()!;
  const span = api.trace.getSpanContext(api.context.active());
  return span !== undefined && api.isSpanContextValid(span) ? { traceId: span.traceId, spanId: span.spanId } : undefined;
}

/**
 * The active span as a W3C `traceparent`, when tracing is on and one is active.
 *
 * @example
 * ```ts
 * const traceparent = activeTraceparent(); // stored with a schedule, linked to when it fires
 * ```
 */
export function activeTraceparent(): string | undefined {
  if (!tracingEnabled()) return undefined;
  const api = otelApi()!;
  const span = api.trace.getSpanContext(api.context.active());
  return span !== undefined && api.isSpanContextValid(span) ? formatTraceparent(span) : undefined;
}

let SUPPRESS_TRACING: symbol | undefined;

/**
 * Runs `fn` with OpenTelemetry tracing suppressed (the SDK's suppress-tracing context flag), so an
 * auto-instrumentation of the client library underneath (`@opentelemetry/instrumentation-amqplib`)
 * opens no second span and does not overwrite the trace context Metro already put in the headers.
 * With `through`, the library function `fn` calls: when no instrumentation wrapped it (the
 * `__wrapped` mark OpenTelemetry's and shimmer's wrappers set), `fn` runs as is, with no context
 * switch (what every publish would otherwise pay with an SDK on).
 *
 * @example
 * ```ts
 * withoutLibraryInstrumentation(() => channel.publish(exchange, routingKey, body, options), channel.publish);
 * ```
 */
export function withoutLibraryInstrumentation<T>(fn: () => T, through?: unknown): T {
  if (!tracingEnabled() || (through !== undefined && (through as { __wrapped?: unknown }).__wrapped !== true)) return fn();
  const api = otelApi()!;
  // The key the SDK's suppressTracing() sets: context keys are Symbol.for(description), shared by every copy.
  SUPPRESS_TRACING ??= api.createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
  const active = api.context.active();
  if (active.getValue(SUPPRESS_TRACING) === true) return fn();
  return api.context.with(active.setValue(SUPPRESS_TRACING, true), fn);
}
