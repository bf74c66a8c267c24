import type { DeliveryHandler } from '../transport.js';
import { HeldWaits } from './held-waits.js';
import type { RateLimitStats, ResolvedRateLimit } from './rate-limit.js';
import { TokenBucket } from './token-bucket.js';

/**
 * The rate limit of a whole queue (`metro.subscription(name, { rateLimit })`): each delivery waits
 * for its slot before it is dispatched. A waiting delivery keeps its consumer slot and stays
 * unacknowledged, so the consumer takes no more than its prefetch from the broker and the rest
 * of the backlog waits there. `release()` (at stop) ends the waits: those deliveries go on to the
 * dispatcher, which requeues them.
 *
 * @example
 * ```ts
 * const gate = new SubscriptionRateGate({ intervalMs: 50, burst: 2 });
 * await transport.consume(queue, gate.wrap(dispatcher.dispatch), { concurrency, prefetch });
 * ```
 */
export class SubscriptionRateGate {
  private readonly bucket: TokenBucket;
  private readonly waits = new HeldWaits();
  private admitted = 0;

  constructor(limit: ResolvedRateLimit) {
    this.bucket = new TokenBucket(limit);
  }

  /** `onDelivery`, called no faster than the limit allows. */
  wrap(onDelivery: DeliveryHandler): DeliveryHandler {
    return (delivery) => {
      if (this.waits.isReleased) return onDelivery(delivery);
      this.admitted++;
      const wait = this.bucket.take();
      if (wait <= 0) return onDelivery(delivery);
      return this.waits.sleep(wait).then(() => onDelivery(delivery));
    };
  }

  /** Deliveries admitted (counted when they take their token) and waiting for their slot now. */
  stats(): RateLimitStats {
    return { admitted: this.admitted, waiting: this.waits.size, deferred: 0 };
  }

  /** Stopping: every waiting delivery goes on at once (the stopping dispatcher requeues it). */
  release(): void {
    this.waits.release();
  }
}
