import { MetroHeaders } from './envelope.js';
import { recordHeadersOf } from './record-headers.js';
import type { DeferredRecord } from './stores/deferred-store.js';
import type { FailureRecord } from './stores/failure-store.js';
import type { Delivery, HeaderValue } from './transport.js';
import { linkToOriginal } from './telemetry/replay-links.js';

/**
 * A stored message's next copy: its bytes go straight back to the queue it came from, with these
 * headers. The one place that builds them: handler retries, failure replays (the bus's and the
 * PostgreSQL store's) and resumed deferred messages all call it, so they cannot drift apart.
 */
export type ReplayHeaders = Record<string, HeaderValue>;

/**
 * The headers a stored copy carries on, whatever it was: the stored ones less the per-copy
 * control headers (Metro's attempt, handler, failure id, deferred seq, delay; the broker's
 * dead-letter bookkeeping), plus the topic and subject the original delivery came from (the
 * consumer routes and decodes a queue-bound copy by them).
 */
function carriedHeaders(headers: Readonly<Record<string, HeaderValue>>, topic: string | null | undefined): ReplayHeaders {
  return { ...recordHeadersOf(topic ? { headers, topic } : { headers }) };
}

/**
 * The headers of the copy a handler's retry (or a rate-limited handler's deferral) publishes
 * through the delay queues, to run only that handler again. `copyForHandler` builds the whole
 * copy around them.
 *
 * @example
 * ```ts
 * const headers = retryHeaders(delivery, { attempt: 2, handler: entry.name, delayMs: 1000 });
 * ```
 */
export function retryHeaders(
  delivery: Pick<Delivery, 'headers' | 'topic' | 'subject'>,
  next: { readonly attempt: number; readonly handler: string; readonly delayMs: number },
): ReplayHeaders {
  const headers: ReplayHeaders = { ...recordHeadersOf(delivery) };
  const failureId = delivery.headers[MetroHeaders.failureId];
  if (failureId !== undefined) headers[MetroHeaders.failureId] = failureId; // a replay's retry still resolves its failure
  headers[MetroHeaders.attempt] = next.attempt;
  headers[MetroHeaders.handler] = next.handler;
  headers[MetroHeaders.delay] = next.delayMs;
  return headers;
}

/**
 * The copy a failure record's replay (retry from the store or the admin) publishes: attempt 1,
 * its trace continuing the replaying operation with a link to the original message's (see `linkToOriginal`),
 * the failure's id (a success marks it resolved), and only the handler the record names. A
 * `no-handler` record that names one (a retry or replay for a handler since renamed or removed)
 * keeps it: the other handlers of that queue already ran, and the replay waits for that handler
 * to exist again, as its error says.
 *
 * @example
 * ```ts
 * await transport.publish({ destination: { kind: 'queue', queue: record.queue }, body: record.body, headers: failureReplayHeaders(record) });
 * ```
 */
export function failureReplayHeaders(
  record: Pick<FailureRecord, 'id' | 'headers' | 'handler' | 'topic'> & { readonly envelope?: FailureRecord['envelope'] },
): ReplayHeaders {
  const headers = carriedHeaders(record.headers, record.topic);
  headers[MetroHeaders.failureId] = record.id;
  headers[MetroHeaders.attempt] = 1;
  if (record.handler !== null) headers[MetroHeaders.handler] = record.handler;
  return linkToOriginal(headers, record.envelope?.traceparent);
}

/**
 * The copy a resumed deferred message publishes: attempt 1, its seq, and only the handler that
 * deferred it.
 *
 * @example
 * ```ts
 * await transport.publish({ destination: { kind: 'queue', queue: record.queue }, body: record.body, headers: deferredReplayHeaders(record) });
 * ```
 */
export function deferredReplayHeaders(
  record: Pick<DeferredRecord, 'seq' | 'headers' | 'handler'> & { readonly envelope?: DeferredRecord['envelope'] },
): ReplayHeaders {
  const headers = carriedHeaders(record.headers, undefined);
  headers[MetroHeaders.deferredSeq] = record.seq;
  headers[MetroHeaders.attempt] = 1;
  if (record.handler !== null) headers[MetroHeaders.handler] = record.handler;
  return linkToOriginal(headers, record.envelope?.traceparent);
}
