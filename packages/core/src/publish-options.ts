import type { Codec } from './codec.js';
import type { EnvelopeOptions } from './create-envelope.js';
import type { Duration } from './duration.js';
import type { HeaderValue } from './transport.js';

/**
 * Options of `metro.publish` / `metro.send` (and `ctx.publish` / `ctx.send`).
 *
 * @example
 * ```ts
 * await metro.publish(OrderPlaced, payload, { id: orderId, delay: '10s', headers: { tenant: 'eu' } });
 * ```
 */
export interface PublishOptions extends EnvelopeOptions {
  /** Encode with this codec instead of Metro's (e.g. `aggregateEnvelopeCodec` for Python consumers). */
  readonly codec?: Codec | undefined;
  /** Extra transport headers. */
  readonly headers?: Readonly<Record<string, HeaderValue>> | undefined;
  /** Message priority (0-255; the queue needs `maxPriority`). */
  readonly priority?: number | undefined;
  /** Deliver no sooner than this. */
  readonly delay?: Duration | undefined;
}
