import { MetroHeaders } from './envelope.js';
import type { Delivery, HeaderValue } from './transport.js';

/**
 * The broker's dead-letter bookkeeping of one copy (RabbitMQ's `x-death`, `x-first-death-reason`,
 * `x-last-death-queue`, ...). Metro's retries and delays go through delay queues that dead-letter
 * each copy back when its time is up, so on an ordinary handler failure these would read
 * `x-first-death-reason: expired`. The record says what happened in its own fields (`reason`,
 * `queue`, `attempts`), so these are not kept, nor carried to the next copy.
 */
export function isDeadLetterHeader(key: string): boolean {
  return key.startsWith('x-') && (key === 'x-death' || key.startsWith('x-first-death-') || key.startsWith('x-last-death-'));
}

/**
 * The headers a failure/deferred record (and a retry's copy) keeps: the delivery's, minus
 * per-copy control headers (Metro's attempt, handler, failure id, deferred seq, delay, rate slot; the
 * broker's dead-letter headers), plus where it came from.
 */
export function recordHeadersOf(delivery: Pick<Delivery, 'headers' | 'topic' | 'subject'>): Readonly<Record<string, HeaderValue>> {
  const h = delivery.headers;
  const out: Record<string, HeaderValue> = {};
  for (const key in h) {
    if (
      key === MetroHeaders.attempt ||
      key === MetroHeaders.handler ||
      key === MetroHeaders.failureId ||
      key === MetroHeaders.deferredSeq ||
      key === MetroHeaders.delay ||
      key === MetroHeaders.rateSlot
    )
      continue;
    if (isDeadLetterHeader(key)) continue;
    out[key] = h[key]!;
  }
  if (out[MetroHeaders.topic] === undefined && delivery.topic) out[MetroHeaders.topic] = delivery.topic;
  if (out[MetroHeaders.subject] === undefined && delivery.subject) out[MetroHeaders.subject] = delivery.subject;
  return out;
}
