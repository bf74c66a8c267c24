import type { Envelope } from './envelope.js';
import { retryHeaders } from './replay.js';
import { linkFirstAttempt } from './telemetry/replay-links.js';
import type { Delivery, HeaderValue, OutgoingMessage } from './transport.js';

/** What a {@link copyForHandler} copy is for: the attempt it carries, the one handler it runs, its delay. */
export interface HandlerCopyOptions {
  /** The attempt the copy carries (`metro-attempt`): the next one for a retry, the same one for a rate-limit deferral. */
  readonly attempt: number;
  /** The only handler that runs for the copy (`metro-handler`). */
  readonly handler: string;
  /** Deliver no sooner than this many ms from now (also carried as `metro-delay`). */
  readonly delayMs: number;
  /**
   * Link the copy's trace to the attempt that ran now (`metro-trace-link`, see `linkFirstAttempt`):
   * true for a retry. A deferral leaves it off: the handler has not run yet, so its first attempt
   * is the copy's own. Default false.
   */
  readonly linkFirstAttempt?: boolean;
  /** Headers set on top of the copy's (a deferral's `metro-rate-slot`). */
  readonly extraHeaders?: Readonly<Record<string, HeaderValue>>;
}

/**
 * The copy of a delivery that runs one handler again later: the same bytes, id, content type,
 * priority and timestamp, published to the queue the delivery came from with a delay and the
 * headers of {@link retryHeaders}. The one place that builds it: a handler's retry and a
 * rate-limited handler's deferral both publish it, so what a redelivered copy carries cannot
 * drift between them.
 *
 * @example
 * ```ts
 * await transport.publish(copyForHandler(delivery, envelope, { attempt: attempt + 1, handler: entry.name, delayMs: 1000, linkFirstAttempt: true }));
 * ```
 */
export function copyForHandler(delivery: Delivery, envelope: Pick<Envelope, 'id'>, options: HandlerCopyOptions): OutgoingMessage {
  const { attempt, handler, delayMs } = options;
  const headers = retryHeaders(delivery, { attempt, handler, delayMs });
  if (options.linkFirstAttempt === true) linkFirstAttempt(headers);
  if (options.extraHeaders !== undefined) Object.assign(headers, options.extraHeaders);
  return {
    destination: { kind: 'queue', queue: delivery.queue },
    body: delivery.body,
    messageId: delivery.messageId || envelope.id,
    contentType: delivery.contentType,
    headers,
    delayMs,
    ...(delivery.priority !== undefined ? { priority: delivery.priority } : {}),
    ...(delivery.timestamp !== undefined ? { timestamp: delivery.timestamp } : {}),
  };
}
