import type { Logger } from '@metro/core';
import type { NotificationSource } from '../database/notifications.js';
import type { LaneWakeups } from './lane-wakeups.js';

/** How long a relay waits before it tries LISTEN again after a failure. */
const RETRY_EVERY_MS = 5000;

/**
 * A relay's LISTEN on its outbox channel: each notification wakes a lane. Tried on start and
 * before each batch until it works (at most every 5 seconds; the relay polls meanwhile), and
 * once listening it wakes a lane for rows committed before.
 *
 * @example
 * ```ts
 * const listening = new RelayListening(pgNotifications(pool), outboxChannel(schema), wakeups, logger);
 * await listening.ensure(); // before each batch
 * await listening.stop();
 * ```
 */
export class RelayListening {
  private unlisten: (() => Promise<void>) | undefined;
  private lastAttempt = 0;

  constructor(
    private readonly source: NotificationSource | undefined,
    private readonly channel: string,
    private readonly wakeups: LaneWakeups,
    private readonly logger: Logger,
  ) {}

  /** Starts listening unless it already does, has no source, or tried less than 5 seconds ago; never rejects. */
  async ensure(): Promise<void> {
    if (!this.source || this.unlisten !== undefined || Date.now() - this.lastAttempt < RETRY_EVERY_MS) return;
    this.lastAttempt = Date.now();
    try {
      this.unlisten = await this.source.listen(this.channel, () => this.wakeups.notify());
      this.wakeups.notify(); // rows committed before we listened
    } catch (err) {
      this.logger.warn({ err }, 'outbox relay could not LISTEN; polling until it can');
    }
  }

  /** The relay starts: the next {@link RelayListening.ensure} tries at once. */
  reset(): void {
    this.lastAttempt = 0;
  }

  /** Stops listening (an UNLISTEN failure is logged); never rejects. */
  async stop(): Promise<void> {
    const stopListening = this.unlisten;
    this.unlisten = undefined;
    if (stopListening) await stopListening().catch((err: unknown) => this.logger.warn({ err }, 'outbox relay UNLISTEN failed'));
  }
}
