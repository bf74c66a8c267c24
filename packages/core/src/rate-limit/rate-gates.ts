import type { Logger } from '../logger.js';
import type { Transport } from '../transport.js';
import { HandlerRateGate } from './handler-rate-gate.js';
import { resolveRateLimit, type RateLimit, type RateLimitStats } from './rate-limit.js';
import { SubscriptionRateGate } from './subscription-rate-gate.js';

/** The counters of one rate limiter of the bus: a queue's (`handler` undefined) or one handler's. */
export interface RateLimiterStats extends RateLimitStats {
  readonly queue: string;
  /** The handler it limits; undefined for a whole subscription's limiter. */
  readonly handler: string | undefined;
}

/**
 * The rate limiters of one bus, made as handlers and subscriptions are registered, released
 * together at stop and counted together in `metro.stats()`.
 *
 * @example
 * ```ts
 * const gates = new RateGates(transport, logger);
 * const gate = gates.forHandler('billing', 'crm', { messages: 20 }, 16);
 * gates.release(); // at stop
 * ```
 */
export class RateGates {
  private readonly handlers: Array<{ readonly queue: string; readonly handler: string; readonly gate: HandlerRateGate }> = [];
  private readonly queues = new Map<string, SubscriptionRateGate>();

  constructor(
    private readonly transport: Transport,
    private readonly logger: Logger,
  ) {}

  /** The limiter of one handler; up to a quarter of its queue's `concurrency` deliveries may wait for it in process. */
  forHandler(queue: string, handler: string, limit: RateLimit, concurrency: number): HandlerRateGate {
    const gate = new HandlerRateGate({
      handler,
      limit: resolveRateLimit(limit, `handler "${handler}"`),
      transport: this.transport,
      logger: this.logger,
      maxWaiting: Math.floor(concurrency / 4),
    });
    this.handlers.push({ queue, handler, gate });
    return gate;
  }

  /** The limiter of a whole queue. */
  forQueue(queue: string, limit: RateLimit): SubscriptionRateGate {
    const gate = new SubscriptionRateGate(resolveRateLimit(limit, `subscription "${queue}"`));
    this.queues.set(queue, gate);
    return gate;
  }

  /** Ends every wait (stop): see each gate's `release`. */
  release(): void {
    for (const gate of this.queues.values()) gate.release();
    for (const { gate } of this.handlers) gate.release();
  }

  stats(): ReadonlyArray<RateLimiterStats> {
    return [
      ...[...this.queues].map(([queue, gate]) => ({ queue, handler: undefined, ...gate.stats() })),
      ...this.handlers.map(({ queue, handler, gate }) => ({ queue, handler, ...gate.stats() })),
    ];
  }
}
