import type { Codec } from './codec.js';
import type { EnvelopeOptions } from './create-envelope.js';
import type { Duration } from './duration.js';
import type { HeaderValue } from './transport.js';
import type { UnroutablePolicy } from './unroutable-policy.js';

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
  /**
   * Events: overrides the definition's policy for when no queue receives this one (`'accept'`:
   * resolve, logged and counted; `'error'`: reject with `UnroutableError`). A command nobody can
   * receive is always an error: `send` refuses `'accept'` with a `ConfigurationError`.
   */
  readonly unroutable?: UnroutablePolicy | undefined;
  /**
   * Bus only (`metro.publish` / `metro.send` and handler contexts): run this process's matching
   * handlers in place, once, instead of publishing through the transport, and reject with the
   * first handler's error (messagio's `fire(sync=True)`). `delay`, `priority`, `headers` and
   * `codec` do not apply: nothing is sent. Default: the bus's `mode` (`'async'`).
   */
  readonly sync?: boolean | undefined;
}
