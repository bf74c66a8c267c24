import { MetroHeaders, type Envelope } from '../envelope.js';
import { toError } from '../errors.js';
import type { Logger } from '../logger.js';
import { copyForHandler } from '../copy-for-handler.js';
import type { Delivery, Transport } from '../transport.js';
import { StopAbort } from '../dispatch/handler-invoker.js';
import { HeldWaits } from './held-waits.js';
import type { RateLimitStats, ResolvedRateLimit } from './rate-limit.js';
import { TokenBucket } from './token-bucket.js';

/** The longest a delivery waits in process for its handler's slot; a later slot defers it through the broker. */
export const MAX_HOLD_MS = 1000;

/** What a {@link HandlerRateGate} needs. */
export interface HandlerRateGateOptions {
  /** The handler's name: deferred copies are addressed to it alone. */
  readonly handler: string;
  readonly limit: ResolvedRateLimit;
  /** Where deferred copies are published (to the delivery's queue, with a delay). */
  readonly transport: Transport;
  readonly logger: Logger;
  /** Deliveries that may wait in process for this handler's slot at once (a share of the queue's concurrency). */
  readonly maxWaiting: number;
}

/**
 * The rate limit of one handler (`metro.on(def, fn, { rateLimit })`). Before the handler runs,
 * its message takes a token: at once when one is free; by waiting in process when its slot is
 * at most {@link MAX_HOLD_MS} away and fewer than `maxWaiting` deliveries wait (so the other
 * handlers of the queue keep the rest of its concurrency); otherwise by deferring: a copy for
 * this handler alone is published to the queue with a delay ending at the reserved slot (it
 * runs without taking another token), and the delivery goes on to its other handlers and is
 * acked. A copy the broker refuses waits in process instead.
 *
 * @example
 * ```ts
 * const gate = new HandlerRateGate({ handler: 'crm', limit: { intervalMs: 50, burst: 2 }, transport, logger, maxWaiting: 4 });
 * const pending = gate.admit(delivery, envelope, attempt, () => invoker.invoke(entry, payload, ctx));
 * ```
 */
export class HandlerRateGate {
  private readonly bucket: TokenBucket;
  private readonly waits = new HeldWaits();
  private admitted = 0;
  private deferred = 0;

  constructor(private readonly options: HandlerRateGateOptions) {
    this.bucket = new TokenBucket(options.limit);
  }

  /** Runs `run` within the limit; returns a promise only when the handler waits, is deferred, or is asynchronous. */
  admit(delivery: Delivery, envelope: Envelope, attempt: number, run: () => Promise<unknown> | undefined): Promise<unknown> | undefined {
    const reserved = this.reservedSlot(delivery);
    if (reserved !== undefined) {
      const early = reserved - Date.now();
      return early > 0 ? this.hold(Math.min(early, MAX_HOLD_MS), run) : run();
    }
    const wait = this.bucket.wait();
    this.admitted++;
    if (wait > 0 && (wait > MAX_HOLD_MS || this.waits.size >= this.options.maxWaiting)) {
      return this.defer(delivery, envelope, attempt, this.bucket.take(), run);
    }
    const slot = this.bucket.take();
    return slot > 0 ? this.hold(slot, run) : run();
  }

  stats(): RateLimitStats {
    return { admitted: this.admitted, waiting: this.waits.size, deferred: this.deferred };
  }

  /** Stopping: waiting deliveries end with `StopAbort` (their messages are requeued). */
  release(): void {
    this.waits.release();
  }

  /** The slot a deferred copy of this handler carries (its token was taken when it was deferred). */
  private reservedSlot(delivery: Delivery): number | undefined {
    const slot = delivery.headers[MetroHeaders.rateSlot];
    if (slot === undefined || delivery.headers[MetroHeaders.handler] !== this.options.handler) return undefined;
    const at = Number(slot);
    return Number.isFinite(at) ? at : undefined;
  }

  private async hold(ms: number, run: () => Promise<unknown> | undefined): Promise<unknown> {
    if (!(await this.waits.sleep(ms))) throw new StopAbort();
    return run();
  }

  private async defer(delivery: Delivery, envelope: Envelope, attempt: number, delayMs: number, run: () => Promise<unknown> | undefined): Promise<unknown> {
    const { handler, transport } = this.options;
    const wholeDelayMs = Math.ceil(delayMs);
    try {
      await transport.publish(
        copyForHandler(delivery, envelope, {
          attempt,
          handler,
          delayMs: wholeDelayMs,
          extraHeaders: { [MetroHeaders.rateSlot]: String(Date.now() + wholeDelayMs) },
        }),
      );
      this.deferred++;
      return undefined;
    } catch (err) {
      this.options.logger.warn(
        { err: toError(err), handler, messageId: envelope.id, delayMs: wholeDelayMs },
        'could not defer a rate-limited message through the broker; it waits for its slot in process',
      );
      return this.hold(wholeDelayMs, run);
    }
  }
}
