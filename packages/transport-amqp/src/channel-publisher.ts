import type { Channel, Message } from 'amqplib';
import { PublishError, TransportClosedError, type Logger } from '@metro/core';
import { CONFIRM_SWEEP_MS, ConfirmedPublish } from './confirmed-publish.js';
import type { ConnectionSupervisor, LiveConnection } from './connection-supervisor.js';
import { PlainPublish } from './plain-publish.js';
import type { PublishMode } from './publish-mode.js';
import { publishTimeoutError, withDeadline } from './publish-timeout.js';
import { describeOf, type PreparePublish, type RawPublish } from './raw-publish.js';
import { writeUnconfirmed } from './unconfirmed-publish.js';

/** Hooks and mode of a {@link ChannelPublisher}. */
export interface PublisherHooks {
  /**
   * `false`: a plain channel, no publisher confirms (requests and replies: the reply, or the
   * requester's timeout, is their confirmation); see `PlainPublish`. Default `true`: see `ConfirmedPublish`.
   */
  readonly confirms?: boolean;
  /** Runs on every new channel before it is used (request/reply starts its reply consumer here). */
  readonly setup?: (channel: Channel, live: LiveConnection) => Promise<void>;
  /** Runs when the channel is lost. */
  readonly onChannelLost?: () => void;
  /** Gets the returns of mandatory messages sent with {@link ChannelPublisher.publishUnconfirmed} (and, without confirms, of all of them). */
  readonly onUnconfirmedReturn?: (message: Message) => void;
}

/**
 * Publishes on one channel of the publish connection, reopened after it is lost, in one of two
 * modes: {@link ConfirmedPublish} (the default) or {@link PlainPublish} (`confirms: false`).
 * While disconnected or blocked by the broker, publishes wait (at most `maxBufferedPublishes` of
 * them, each within `publishTimeoutMs`); after `close()` they reject with `TransportClosedError`.
 * {@link publishUnconfirmed} writes without waiting for a confirm on either channel.
 */
export class ChannelPublisher {
  private readonly mode: PublishMode;
  private channel: Channel | undefined;
  private channelGeneration = -1;
  private waiting = 0;
  private preparing = 0;
  private closed = false;
  private reopenTimer: NodeJS.Timeout | undefined;
  private readyWaiters = new Set<() => void>();

  constructor(
    private readonly name: string,
    private readonly supervisor: ConnectionSupervisor,
    private readonly limits: { readonly publishTimeoutMs: number; readonly maxBufferedPublishes: number },
    private readonly logger: Logger,
    private readonly hooks: PublisherHooks = {},
  ) {
    this.mode = hooks.confirms === false ? new PlainPublish(logger) : new ConfirmedPublish(limits.publishTimeoutMs, logger);
    supervisor.onConnected((live) => this.openChannel(live));
    // The channel opens during onConnected, before the connection counts as ready: wake the
    // publishes waiting for it the moment it does (not on their fallback poll).
    supervisor.onReady(() => this.wakeWaiters());
    supervisor.onUnblocked(() => this.wakeWaiters());
  }

  /** Publishes that have not settled yet. */
  get outstanding(): number {
    return this.mode.outstanding + this.waiting + this.preparing;
  }

  /**
   * Publishes one message in the publisher's mode. `prepare` runs once connected (declares what
   * the destination needs) and returns the AMQP publish; it may throw (e.g. `UnroutableError`),
   * which rejects the publish.
   */
  publish(prepare: PreparePublish): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    const channel = this.ready();
    if (channel) {
      // Hot path: connected, and nothing to declare first.
      let prepared: Promise<RawPublish> | RawPublish;
      try {
        prepared = prepare(this.supervisor.current!);
      } catch (err) {
        return Promise.reject(err);
      }
      if (!(prepared instanceof Promise)) {
        return this.mode.send(channel, prepared, Date.now() + this.limits.publishTimeoutMs) ?? this.run(prepare, prepared);
      }
      return this.run(prepare, undefined, prepared);
    }
    return this.run(prepare);
  }

  /**
   * Publishes without a confirm (see {@link writeUnconfirmed}), for requests and replies: on the
   * current channel when there is one and `prepare` needs nothing declared, else through
   * {@link publish} (waiting for the channel, in the publisher's mode).
   */
  publishUnconfirmed(prepare: PreparePublish): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    const channel = this.ready();
    if (!channel) return this.run(prepare);
    let raw: Promise<RawPublish> | RawPublish;
    try {
      raw = prepare(this.supervisor.current!);
    } catch (err) {
      return Promise.reject(err);
    }
    if (raw instanceof Promise) return this.run(prepare, undefined, raw);
    // A closed channel takes the waiting path, which publishes on the next one.
    return writeUnconfirmed(channel, raw, this.logger, 'unconfirmed publish') ?? this.run(prepare, raw);
  }

  /** The slow path: waits for a channel, prepares the publish if needed, and retries on the next channel if this one closes first. */
  private async run(prepare: PreparePublish, prepared?: RawPublish, preparing?: Promise<RawPublish>): Promise<void> {
    const deadline = Date.now() + this.limits.publishTimeoutMs;
    let raw: RawPublish | undefined = prepared;
    for (;;) {
      const channel = this.ready() ?? (await this.waitForChannel(deadline, raw && describeOf(raw)));
      const live = this.supervisor.current;
      if (!live) continue;
      if (!raw) {
        const pendingRaw = preparing ?? prepare(live);
        preparing = undefined;
        if (pendingRaw instanceof Promise) {
          this.preparing++;
          try {
            raw = await withDeadline(pendingRaw, deadline, () => publishTimeoutError('preparing', undefined, this.limits.publishTimeoutMs));
          } finally {
            this.preparing--;
          }
        } else {
          raw = pendingRaw;
        }
        if (channel !== this.channel) continue;
      }
      const sent = this.mode.send(channel, raw, deadline);
      if (sent) return sent;
      // The channel closed before the message was written: nothing went out, so try the next channel.
    }
  }

  private ready(): Channel | undefined {
    const live = this.supervisor.current;
    if (!live || this.supervisor.blocked || !this.channel || this.channelGeneration !== live.generation) return undefined;
    return this.channel;
  }

  private async waitForChannel(deadline: number, describe: string | undefined): Promise<Channel> {
    if (this.waiting >= this.limits.maxBufferedPublishes) {
      throw new PublishError(
        `Not connected to RabbitMQ and ${this.waiting} publishes are already waiting (maxBufferedPublishes). Retry later or raise maxBufferedPublishes.`,
      );
    }
    this.waiting++;
    try {
      this.supervisor.ensureStarted();
      for (;;) {
        if (this.closed) throw new TransportClosedError();
        const channel = this.ready();
        if (channel) return channel;
        const left = deadline - Date.now();
        if (left <= 0) {
          const why = this.supervisor.blocked ? 'the broker blocked the connection (memory or disk alarm)' : 'no connection to RabbitMQ';
          throw publishTimeoutError(`waiting (${why})`, describe, this.limits.publishTimeoutMs);
        }
        await new Promise<void>((resolve) => {
          const waiter = (): void => {
            clearTimeout(timer);
            this.readyWaiters.delete(waiter);
            resolve();
          };
          const timer = setTimeout(waiter, Math.min(left, 1000));
          this.readyWaiters.add(waiter);
        });
      }
    } finally {
      this.waiting--;
    }
  }

  private onReturn(message: Message): void {
    if (!this.mode.claimReturn(message)) this.hooks.onUnconfirmedReturn?.(message);
  }

  private async openChannel(live: LiveConnection): Promise<void> {
    if (this.closed) return;
    const channel = await this.mode.openChannel(live.model);
    channel.on('error', (err: unknown) => this.logger.warn({ err, publisher: this.name }, 'metro: publish channel error'));
    channel.on('return', (message: Message) => this.onReturn(message));
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.hooks.onChannelLost?.();
      if (this.closed) return;
      // The connection may be fine (a channel-level error): open a new channel on it.
      if (this.supervisor.current?.model === live.model && !this.reopenTimer) {
        this.reopenTimer = setTimeout(() => {
          this.reopenTimer = undefined;
          const current = this.supervisor.current;
          if (current?.model === live.model) {
            this.openChannel(current).catch((err: unknown) => this.logger.warn({ err }, 'metro: reopening the publish channel failed'));
          }
        }, 100);
      }
    });
    if (this.hooks.setup) await this.hooks.setup(channel, live);
    this.channel = channel;
    this.channelGeneration = live.generation;
    this.wakeWaiters();
  }

  private wakeWaiters(): void {
    const waiters = [...this.readyWaiters];
    for (const w of waiters) w();
  }

  /** Stops accepting publishes and waits (bounded by the publish timeout) for the outstanding ones to settle. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = undefined;
    this.wakeWaiters();
    const deadline = Date.now() + this.limits.publishTimeoutMs + CONFIRM_SWEEP_MS * 2;
    while (this.outstanding > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    this.mode.stop();
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await channel.close().catch(() => undefined);
  }
}
