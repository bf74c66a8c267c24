import type { ChannelModel } from 'amqplib';
import { UnroutableError } from '@metro/core';
import { amqpCode, withThrowawayChannel } from './channel-scope.js';

/** Header that selects the delay queue (`metro.delay` headers exchange). */
export const DELAY_HEADER = 'metro-delay-ms';
/** Header that routes a delayed queue-bound message out of `metro.delayed`. */
export const TARGET_QUEUE_HEADER = 'metro-target-queue';
/** Header that routes a delayed topic/command message out of `metro.delayed` (to an exchange). */
export const TARGET_EXCHANGE_HEADER = 'metro-target-exchange';

/** Re-declare a cached delay queue when its last declaration is older than this (renews its `x-expires` lease). */
const RENEW_AFTER_MS = 30_000;

/**
 * Rounds a delay up to 2 significant digits (1234 → 1300, 87 → 87), so the number of delay queues
 * stays small: at most 90 per power of ten.
 *
 * @example
 * ```ts
 * roundDelay(1234); // 1300
 * ```
 */
export function roundDelay(ms: number): number {
  const value = Math.max(1, Math.ceil(ms));
  if (value < 100) return value;
  const scale = 10 ** (Math.floor(Math.log10(value)) - 1);
  return Math.ceil(value / scale) * scale;
}

/** Where a delayed message goes when its delay is over. */
export type DelayTarget = { readonly queue: string } | { readonly exchange: string };

/**
 * Delays without plugins. A headers exchange `metro.delay` routes on `metro-delay-ms` to one queue
 * per distinct (rounded) delay, `metro.delay.<ms>`, with `x-message-ttl = ms`, dead-lettering to the
 * headers exchange `metro.delayed`, and `x-expires` so unused delay queues vanish. `metro.delayed`
 * routes on `metro-target-queue` to a queue (one binding per destination queue) or on
 * `metro-target-exchange` to a topic or the commands exchange (an exchange-to-exchange binding),
 * which then routes by the routing key the message kept all along.
 * Declarations are made lazily on first use and cached until the connection is replaced.
 *
 * With `queueType: 'quorum'` the delay queues are quorum queues too (RabbitMQ 3.10 gave quorum
 * queues message TTL), named `metro.delay.q<ms>` and selected by `metro-delay-ms: q<ms>`, so they
 * never clash with, nor duplicate into, the classic `metro.delay.<ms>` of a classic-mode service on
 * the same broker. Their dead-lettering is RabbitMQ's default at-most-once: its at-least-once
 * strategy (`x-dead-letter-strategy`) made 3.10.8 close the connection with INTERNAL_ERROR when such
 * a queue was deleted, and delay queues are deleted all the time (`x-expires`).
 */
export class DelayTopology {
  private readonly declared = new Map<string, { at: number; done: Promise<void> }>();

  constructor(
    private readonly prefix: string,
    private readonly queueType: 'classic' | 'quorum' = 'classic',
  ) {}

  get delayExchange(): string {
    return this.prefix + 'metro.delay';
  }

  get delayedExchange(): string {
    return this.prefix + 'metro.delayed';
  }

  delayQueue(ms: number): string {
    return `${this.prefix}metro.delay.${this.selector(ms)}`;
  }

  /** The `metro-delay-ms` value (and queue name suffix) of a delay: `1300`, or `q1300` for a quorum delay queue. */
  private selector(ms: number): string {
    return this.queueType === 'quorum' ? `q${ms}` : String(ms);
  }

  /** Forgets the cache (after a reconnect, so everything is re-declared on next use). */
  reset(): void {
    this.declared.clear();
  }

  /**
   * Declares what a message delayed by `delayMs` towards `target` needs and returns the rounded
   * delay and the headers to add. Publish the copy to {@link delayExchange} with the original routing key.
   */
  async prepare(model: ChannelModel, delayMs: number, target: DelayTarget): Promise<{ delayMs: number; headers: Record<string, string> }> {
    const ms = roundDelay(delayMs);
    await this.once(model, 'base', async (ch) => {
      await ch.assertExchange(this.delayExchange, 'headers', { durable: true });
      await ch.assertExchange(this.delayedExchange, 'headers', { durable: true });
    });
    const queue = this.delayQueue(ms);
    const selector = this.selector(ms);
    await this.once(
      model,
      `q:${ms}`,
      async (ch) => {
        await ch.assertQueue(queue, {
          durable: true,
          arguments: {
            'x-queue-type': this.queueType,
            'x-message-ttl': ms,
            'x-dead-letter-exchange': this.delayedExchange,
            'x-expires': ms * 2 + 60_000,
          },
        });
        await ch.bindQueue(queue, this.delayExchange, '', { 'x-match': 'all', [DELAY_HEADER]: selector });
      },
      true,
    );
    if ('queue' in target) {
      await this.once(model, `tq:${target.queue}`, async (ch) => {
        try {
          await ch.bindQueue(target.queue, this.delayedExchange, '', { 'x-match': 'all', [TARGET_QUEUE_HEADER]: target.queue });
        } catch (err) {
          if (amqpCode(err) === 404) throw new UnroutableError(`queue "${target.queue}" (delayed ${ms} ms)`);
          throw err;
        }
      });
      return { delayMs: ms, headers: { [DELAY_HEADER]: selector, [TARGET_QUEUE_HEADER]: target.queue } };
    }
    await this.once(model, `te:${target.exchange}`, (ch) =>
      ch.bindExchange(target.exchange, this.delayedExchange, '', { 'x-match': 'all', [TARGET_EXCHANGE_HEADER]: target.exchange }).then(() => undefined),
    );
    return { delayMs: ms, headers: { [DELAY_HEADER]: selector, [TARGET_EXCHANGE_HEADER]: target.exchange } };
  }

  private once(model: ChannelModel, key: string, work: Parameters<typeof withThrowawayChannel<void>>[1], renew = false): Promise<void> {
    const cached = this.declared.get(key);
    if (cached && !(renew && Date.now() - cached.at > RENEW_AFTER_MS)) return cached.done;
    const done = withThrowawayChannel(model, work);
    const entry = { at: Date.now(), done };
    this.declared.set(key, entry);
    done.catch(() => {
      if (this.declared.get(key) === entry) this.declared.delete(key);
    });
    return done;
  }
}
