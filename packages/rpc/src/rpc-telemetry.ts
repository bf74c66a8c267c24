import { type HeaderValue } from '@metro/core';
import { metroMetrics, SemanticAttributes as A, startMetroSpan, tracingEnabled, type MetroSpan } from '@metro/core/telemetry';

/** One RPC call or request being traced and measured (see {@link beginRpcCall}, {@link beginRpcServe}). */
export interface RpcTelemetry {
  readonly span: MetroSpan | undefined;
  /** The request's headers: the caller's plus the client span's trace context. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  readonly procedure: string;
  readonly startedAt: number;
}

/** The RPC semantic-convention attributes of a procedure (`rpc.system` is `metro`, `rpc.method` the procedure's name). */
function rpcAttributes(procedure: string, system: string): Record<string, string> {
  return { [A.rpcSystem]: 'metro', [A.rpcMethod]: procedure, [A.messagingSystem]: system };
}

/**
 * Opens the client span of a call (`<procedure>`, kind client, child of the active span); its
 * `headers` are the request's with the span's trace context. `undefined` when tracing and metrics are off.
 *
 * @example
 * ```ts
 * const call = beginRpcCall('customers.get', 'rabbitmq', options.headers);
 * await transport.request({ ...request, headers: call?.headers ?? options.headers ?? {} }, { timeoutMs });
 * ```
 */
export function beginRpcCall(procedure: string, system: string, headers: Readonly<Record<string, HeaderValue>> | undefined): RpcTelemetry | undefined {
  const tracing = tracingEnabled();
  if (!tracing && metroMetrics() === undefined) return undefined;
  const span = tracing ? startMetroSpan(procedure, { kind: 'client', scope: '@metro/rpc', attributes: rpcAttributes(procedure, system) }) : undefined;
  const traced: Record<string, HeaderValue> = { ...headers };
  span?.inject(traced);
  return { span, headers: traced, procedure, startedAt: performance.now() };
}

/**
 * Ends a call's span (with its error) and records `rpc.client.call.duration`.
 *
 * @example
 * ```ts
 * endRpcCall(call, err);
 * ```
 */
export function endRpcCall(call: RpcTelemetry | undefined, error?: unknown): void {
  if (call === undefined) return;
  if (error !== undefined) call.span?.fail(error);
  call.span?.end();
  metroMetrics()?.rpcClientDuration.record((performance.now() - call.startedAt) / 1000, {
    [A.rpcSystem]: 'metro',
    [A.rpcMethod]: call.procedure,
    [A.outcome]: error === undefined ? 'ok' : 'error',
    ...(error instanceof Error
      ? { [A.errorType]: (error as { code?: unknown }).code !== undefined ? String((error as { code?: unknown }).code) : error.name }
      : {}),
  });
}

/**
 * Opens the server span of a request (`<procedure>`, kind server), continuing the trace its
 * headers carry (else the `traceparent` in the request body, for wire formats without headers).
 * When an amqplib auto-instrumentation already opened the request's consumer span, that span is
 * named and described instead (its kind stays consumer).
 *
 * @example
 * ```ts
 * const served = beginRpcServe('customers.get', 'rabbitmq', delivery.headers, request.traceparent);
 * ```
 */
export function beginRpcServe(
  procedure: string,
  system: string,
  headers: Readonly<Record<string, HeaderValue>>,
  traceparent: string | undefined,
): MetroSpan | undefined {
  return startMetroSpan(procedure, {
    kind: 'server',
    scope: '@metro/rpc',
    parent: { headers, traceparent },
    attributes: rpcAttributes(procedure, system),
    // With instrumentation-amqplib registered, its consumer span of the request is this span (no second one).
    adoptDeliverySpan: true,
  });
}

/**
 * Ends a request's server span: error status with the failure's code and message when the reply is `fail`.
 *
 * @example
 * ```ts
 * endRpcServe(span, reply);
 * ```
 */
export function endRpcServe(span: MetroSpan, reply: { readonly status: string; readonly data?: unknown }): void {
  if (reply.status !== 'success') {
    const failure = (reply.data ?? {}) as { code?: unknown; message?: unknown };
    const error = Object.assign(new Error(typeof failure.message === 'string' ? failure.message : 'RPC handler failed'), {
      name: 'RemoteError',
      code: typeof failure.code === 'string' ? failure.code : 'INTERNAL',
    });
    span.fail(error);
  }
  span.end();
}
