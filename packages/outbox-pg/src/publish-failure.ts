/** Codes of errors that may say nothing about the row itself: the broker or the connection failed. */
const BROKER_TROUBLE_CODES = new Set(['PUBLISH_FAILED', 'TRANSPORT_CLOSED', 'REQUEST_TIMEOUT']);

/**
 * Whether a row's failed publish is broker trouble, which the relay waits out (the lane backs off
 * and the row goes out later, no attempt counted), rather than the row's own fault, which counts an
 * attempt (retried with backoff, then marked `failed`).
 *
 * - A Metro error whose code says the broker or connection failed (`PUBLISH_FAILED`: a nack, a lost
 *   channel, no confirm in time; `TRANSPORT_CLOSED`; `REQUEST_TIMEOUT`) is broker trouble, unless
 *   another row of the same batch was confirmed: then the broker was there and refused this row
 *   (a message it nacks every time, for instance), and retrying it for ever would hold back the
 *   lane and, with per-aggregate ordering, its aggregate.
 * - Any other Metro error (`UNROUTABLE`, ...) is the row's own.
 * - An error without a code is the row's own: transports reject with Metro errors (see
 *   `Transport.publish`), so this is a bug or a destination the transport cannot publish to.
 *
 * @example
 * ```ts
 * isBrokerTrouble(new PublishError('lost'), false); // true: back off, count nothing
 * isBrokerTrouble(new PublishError('nack'), true);  // false: the others went out; count an attempt
 * isBrokerTrouble(new UnroutableError('orders'), false); // false
 * ```
 */
export function isBrokerTrouble(error: unknown, othersSent: boolean): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && BROKER_TROUBLE_CODES.has(code) && !othersSent;
}
