/** Codes of errors that may say nothing about the row itself: the broker or the connection failed. */
const BROKER_TROUBLE_CODES = new Set(['PUBLISH_FAILED', 'TRANSPORT_CLOSED', 'REQUEST_TIMEOUT', 'AMQP_CONNECT_FAILED']);

/**
 * Whether a row's failed publish is broker trouble, which the relay waits out (the lane backs off
 * and the row goes out later, no attempt counted), rather than the row's own fault, which counts an
 * attempt (retried with backoff, then marked `failed`).
 *
 * - A Metro error whose code says the broker or connection failed (`PUBLISH_FAILED`: a nack, a lost
 *   channel, no confirm in time; `TRANSPORT_CLOSED`; `REQUEST_TIMEOUT`; `AMQP_CONNECT_FAILED`, the
 *   broker not reachable within the transport's connect timeout) is broker trouble, with one
 *   exception: a nack (`details.nacked`) while another row of the same batch was confirmed. The
 *   broker was there and refused this message, and retrying it for ever would hold back the lane
 *   and, with per-aggregate ordering, its aggregate. A lost connection or a timeout never counts,
 *   even when rows confirmed before it: that is an outage to wait out.
 * - Any other Metro error (`UNROUTABLE`, ...) is the row's own.
 * - An error without a code (a bug, or a driver error a transport let through) is the row's own
 *   when another row of the batch was confirmed, else broker trouble.
 *
 * @example
 * ```ts
 * isBrokerTrouble(new PublishError('lost'), true); // true: back off, count nothing
 * isBrokerTrouble(new PublishError('refused', { details: { nacked: true } }), true); // false: count an attempt
 * isBrokerTrouble(new UnroutableError('orders'), false); // false
 * ```
 */
export function isBrokerTrouble(error: unknown, othersSent: boolean): boolean {
  const failure = error as { code?: unknown; details?: { nacked?: unknown } } | null | undefined;
  const code = failure?.code;
  if (typeof code !== 'string') return !othersSent;
  if (!BROKER_TROUBLE_CODES.has(code)) return false;
  return !(othersSent && failure?.details?.nacked === true);
}

/** An error as one line, `Name: message`, for `lastError` and a row's `last_error`. */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
