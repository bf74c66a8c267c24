import { MetroHeaders, type Envelope } from '../envelope.js';
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { FailureStore } from '../stores/failure-store.js';
import { isThenable } from '../thenable.js';
import type { Delivery } from '../transport.js';
import type { DispatchFailure } from './dispatch-failure.js';
import type { RecordFailure } from './failure-recorder.js';
import { FAILED, INFRA, OK, type Outcome } from './outcome.js';

/** Called with each event no handler matched (it is acked either way). */
export type UnroutedHandler = (envelope: Envelope, info: { readonly queue: string }) => unknown;

/** Ends a delivery: acks, records then acks, or requeues, by how its dispatch ended. */
export interface DeliverySettler {
  /** Acks on `OK`/`FAILED` (marking a replayed failure resolved on `OK`), requeues otherwise (after a pause on `INFRA`). */
  settle(delivery: Delivery, outcome: Outcome): Promise<void>;
  /** Records the failure, then acks; requeues when the store could not take it. */
  recordAndSettle(delivery: Delivery, failure: DispatchFailure, attempt: number): Promise<void>;
  /** Hands an unmatched event to `onUnrouted` (if set), then acks. */
  unroutedAndSettle(delivery: Delivery, envelope: Envelope): Promise<void>;
}

/** What settling needs from the dispatcher. */
export interface DeliverySettlerDeps {
  readonly failures: FailureStore;
  readonly logger: Logger;
  readonly record: RecordFailure;
  readonly requeueDelayMs: number;
  readonly unrouted: () => UnroutedHandler | undefined;
  /** True once the bus is stopping: requeue at once, without the pause. */
  readonly stopping: () => boolean;
}

/**
 * Builds the settling step of one dispatcher (internal).
 *
 * @example
 * ```ts
 * const settler = createDeliverySettler({ failures, logger, record, requeueDelayMs: 1000, unrouted: () => undefined, stopping: () => false });
 * await settler.settle(delivery, OK);
 * ```
 */
export function createDeliverySettler(deps: DeliverySettlerDeps): DeliverySettler {
  const { failures, logger, record, requeueDelayMs } = deps;

  function settle(delivery: Delivery, outcome: Outcome): Promise<void> {
    if (outcome === OK && delivery.headers[MetroHeaders.failureId] === undefined) return delivery.ack();
    return settleSlow(delivery, outcome);
  }

  async function settleSlow(delivery: Delivery, outcome: Outcome): Promise<void> {
    if (outcome === OK || outcome === FAILED) {
      const failureId = delivery.headers[MetroHeaders.failureId];
      if (outcome === OK && typeof failureId === 'string') {
        try {
          await failures.resolve(failureId);
        } catch (err) {
          logger.warn({ err: toError(err), failureId }, 'could not mark a replayed failure resolved');
        }
      }
      await delivery.ack();
      return;
    }
    if (outcome === INFRA && !deps.stopping()) await new Promise((resolve) => setTimeout(resolve, requeueDelayMs));
    await delivery.requeue();
  }

  return {
    settle,
    async recordAndSettle(delivery, failure, attempt) {
      const ok = await record(delivery, failure.reason, failure.error, failure.envelope, failure.handler, attempt, failure.body);
      return settle(delivery, ok ? FAILED : INFRA);
    },
    async unroutedAndSettle(delivery, envelope) {
      const unrouted = deps.unrouted();
      if (unrouted !== undefined) {
        try {
          const r = unrouted(envelope, { queue: delivery.queue });
          if (isThenable(r)) await r;
        } catch (err) {
          logger.warn({ err: toError(err), messageId: envelope.id }, 'onUnrouted handler threw; the message is acked anyway');
        }
      } else {
        logger.debug({ messageId: envelope.id, type: envelope.type, queue: delivery.queue }, 'no handler matched; acked');
      }
      return settle(delivery, OK);
    },
  };
}
