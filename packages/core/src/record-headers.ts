import { MetroHeaders } from './envelope.js';
import type { Delivery, HeaderValue } from './transport.js';

/** The headers a failure/deferred record keeps: the delivery's, minus per-copy control headers, plus where it came from. */
export function recordHeadersOf(delivery: Delivery): Readonly<Record<string, HeaderValue>> {
  const h = delivery.headers;
  const out: Record<string, HeaderValue> = {};
  for (const key in h) {
    if (key === MetroHeaders.attempt || key === MetroHeaders.handler || key === MetroHeaders.failureId || key === MetroHeaders.deferredSeq || key === MetroHeaders.delay) continue;
    out[key] = h[key]!;
  }
  if (out[MetroHeaders.topic] === undefined && delivery.topic) out[MetroHeaders.topic] = delivery.topic;
  if (out[MetroHeaders.subject] === undefined && delivery.subject) out[MetroHeaders.subject] = delivery.subject;
  return out;
}
