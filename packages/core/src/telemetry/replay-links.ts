import type { HeaderValue } from '../transport.js';
import { activeTraceparent } from './metro-span.js';
import { TraceHeaders } from './trace-headers.js';

/**
 * A handler retry's headers: they keep the original `traceparent` (the retry stays in the
 * message's trace) and, from the first retry on, link to the first attempt's span
 * (`metro-trace-link`, carried unchanged by later retries). Returns `headers`, changed in place.
 *
 * @example
 * ```ts
 * const headers = linkFirstAttempt(retryHeaders(delivery, { attempt: 2, handler, delayMs }));
 * ```
 */
export function linkFirstAttempt(headers: Record<string, HeaderValue>): Record<string, HeaderValue> {
  if (headers[TraceHeaders.link] !== undefined) return headers;
  // The retry is decided in the delivery's process span (the handler's span has ended by then).
  const first = activeTraceparent();
  if (first !== undefined) headers[TraceHeaders.link] = first;
  return headers;
}

/**
 * A replayed copy's headers (a failure retried by an operator, a resumed deferred message, a
 * schedule firing): its trace continues the operation that replays it (the active span, if any;
 * else it starts a new trace) and links to the original message's (`metro-trace-link`). Returns
 * `headers`, changed in place.
 *
 * @example
 * ```ts
 * const headers = linkToOriginal(failureReplayHeaders(record), record.envelope?.traceparent);
 * ```
 */
export function linkToOriginal(headers: Record<string, HeaderValue>, fallbackTraceparent?: string | null): Record<string, HeaderValue> {
  const original = headers[TraceHeaders.traceparent] ?? fallbackTraceparent ?? undefined;
  delete headers[TraceHeaders.traceparent];
  delete headers[TraceHeaders.tracestate];
  if (typeof original === 'string') headers[TraceHeaders.link] = original;
  const current = activeTraceparent();
  if (current !== undefined) headers[TraceHeaders.traceparent] = current;
  return headers;
}
