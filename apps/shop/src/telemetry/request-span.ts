import type { IncomingMessage, ServerResponse } from 'node:http';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('@metro/shop');

/**
 * Runs an HTTP request's handling in a server span (`POST /orders`), continuing the caller's
 * `traceparent` when it sent one: what an HTTP auto-instrumentation would do, kept here so the
 * shop's traces start at the request with no extra package. A no-op span without an SDK.
 */
export function withRequestSpan(req: IncomingMessage, res: ServerResponse, handle: () => Promise<void>): Promise<void> {
  const parent = propagation.extract(context.active(), req.headers);
  const route = (req.url ?? '/').replace(/\/o-[\w-]+$/, '/:id');
  const span = tracer.startSpan(
    `${req.method ?? 'GET'} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method ?? 'GET', 'url.path': req.url ?? '/', 'http.route': route } },
    parent,
  );
  return context.with(trace.setSpan(parent, span), handle).then(
    () => {
      span.setAttribute('http.response.status_code', res.statusCode);
      span.end();
    },
    (err: unknown) => {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
      throw err;
    },
  );
}
