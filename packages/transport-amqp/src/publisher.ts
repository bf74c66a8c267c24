import type { Channel, ConfirmChannel, Message, Options } from 'amqplib';
import { PublishError, TransportClosedError, UnroutableError, type Logger } from '@metro/core';
import type { ConnectionSupervisor, LiveConnection } from './connection-supervisor.js';

/** One AMQP publish, resolved from a Metro destination. */
export interface RawPublish {
  readonly exchange: string;
  readonly routingKey: string;
  readonly body: Buffer;
  readonly options: Options.Publish;
  readonly mandatory: boolean;
  /** How to name the destination in errors, e.g. `topic "orders" subject "placed"` (a function: computed only when needed). */
  readonly describe: string | (() => string);
}

interface PendingPublish {
  returned: boolean;
  readonly raw: RawPublish;
  readonly deadline: number;
  readonly settle: (err: Error | undefined) => void;
}

const RESOLVED: Promise<void> = Promise.resolve();

/** Hooks and mode of a {@link ChannelPublisher}. */
export interface PublisherHooks {
  /**
   * `false`: a plain channel, no publisher confirms (requests and replies: the reply, or the
   * requester's timeout, is their confirmation). Every publish then resolves once written, and
   * the broker sends no ack frame per message. Default `true`.
   */
  readonly confirms?: boolean;
  /** Runs on every new channel before it is used (request/reply starts its reply consumer here). */
  readonly setup?: (channel: Channel, live: LiveConnection) => Promise<void>;
  /** Runs when the channel is lost. */
  readonly onChannelLost?: () => void;
  /** Gets the returns of mandatory messages sent with {@link ChannelPublisher.publishUnconfirmed} (and, without confirms, of all of them). */
  readonly onUnconfirmedReturn?: (message: Message) => void;
}

/** How often outstanding confirms are checked against their deadline. */
const SWEEP_MS = 100;

/**
 * Publishes on one channel of the publish connection, reopened after it is lost. With confirms (the
 * default: events and commands) the channel is a confirm channel and `publish` resolves on the broker's ack;
 * rejects with `UnroutableError` when a mandatory message is returned (RabbitMQ sends a return
 * before the ack of the same message, and returns in publish order, so a return belongs to the
 * oldest unconfirmed publish with the same exchange, routing key and message id), `PublishError` on a nack, on a
 * channel or connection lost before the ack, or when `publishTimeoutMs` passes, and
 * `TransportClosedError` after `close()`. While disconnected or blocked by the broker, publishes
 * wait (at most `maxBufferedPublishes` of them, each within its timeout). With `confirms: false`
 * (requests and replies) the channel is a plain one and every publish resolves once written.
 */
export class ChannelPublisher {
  private channel: Channel | undefined;
  private channelGeneration = -1;
  private sequence = 0;
  private readonly pending = new Map<number, PendingPublish>();
  private sweeper: NodeJS.Timeout | undefined;
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
    supervisor.onConnected((live) => this.openChannel(live));
    // The channel opens during onConnected, before the connection counts as ready: wake the
    // publishes waiting for it the moment it does (not on their fallback poll).
    supervisor.onReady(() => this.wakeWaiters());
    supervisor.onUnblocked(() => this.wakeWaiters());
  }

  /** Publishes that have not settled yet. */
  get outstanding(): number {
    return this.pending.size + this.waiting + this.preparing;
  }

  /**
   * Publishes one message. `prepare` runs once connected (declares what the destination needs)
   * and returns the AMQP publish; it may throw (e.g. `UnroutableError`), which rejects the publish.
   */
  publish(prepare: (live: LiveConnection) => Promise<RawPublish> | RawPublish): Promise<void> {
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
        const sent = this.send(channel, prepared, Date.now() + this.limits.publishTimeoutMs);
        if (sent) return sent;
        return this.run(prepare, prepared);
      }
      return this.run(prepare, undefined, prepared);
    }
    return this.run(prepare);
  }

  private async run(
    prepare: (live: LiveConnection) => Promise<RawPublish> | RawPublish,
    prepared?: RawPublish,
    preparing?: Promise<RawPublish>,
  ): Promise<void> {
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
            raw = await withDeadline(pendingRaw, deadline, () => timeoutError('preparing', undefined, this.limits.publishTimeoutMs));
          } finally {
            this.preparing--;
          }
        } else {
          raw = pendingRaw;
        }
        if (channel !== this.channel) continue;
      }
      const sent = this.send(channel, raw, deadline);
      if (sent) return sent;
      // The channel closed before the message was written: nothing went out, so try the next channel.
    }
  }

  /**
   * Publishes without a confirm (fire and forget), for requests and replies: on the current
   * channel when there is one and `prepare` needs nothing declared, else through {@link publish}
   * (waiting for the channel, confirmed). Resolves once written; a message lost with its channel
   * is not reported (the requester times out). A mandatory message the broker returns goes to
   * `onUnconfirmedReturn`.
   */
  publishUnconfirmed(prepare: (live: LiveConnection) => Promise<RawPublish> | RawPublish): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    const channel = this.ready();
    if (channel) {
      let raw: Promise<RawPublish> | RawPublish;
      try {
        raw = prepare(this.supervisor.current!);
      } catch (err) {
        return Promise.reject(err);
      }
      if (raw instanceof Promise) return this.run(prepare, undefined, raw);
      try {
        // On a confirm channel amqplib tracks the confirm with no callback: nothing to settle.
        channel.publish(raw.exchange, raw.routingKey, raw.body, publishOptions(raw));
        return RESOLVED;
      } catch (err) {
        // The channel closed under us: take the confirmed path, which waits for the next one.
        this.logger.debug({ err }, 'metro: unconfirmed publish on a closed channel; retrying on the next one');
        return this.run(prepare, raw);
      }
    }
    return this.run(prepare);
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
          throw timeoutError(`waiting (${why})`, describe, this.limits.publishTimeoutMs);
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

  private send(channel: Channel, raw: RawPublish, deadline: number): Promise<void> | undefined {
    if (this.hooks.confirms === false) {
      try {
        channel.publish(raw.exchange, raw.routingKey, raw.body, publishOptions(raw));
        return RESOLVED;
      } catch (err) {
        this.logger.debug({ err }, 'metro: publish on a closed channel; retrying on the next one');
        return undefined;
      }
    }
    const seq = ++this.sequence;
    let entry!: PendingPublish;
    const promise = new Promise<void>((resolve, reject) => {
      entry = {
        returned: false,
        raw,
        deadline,
        settle: (err) => {
          if (!this.pending.delete(seq)) return;
          if (err) reject(err);
          else resolve();
        },
      };
    });
    this.pending.set(seq, entry);
    try {
      (channel as ConfirmChannel).publish(raw.exchange, raw.routingKey, raw.body, publishOptions(raw), (err: unknown) => {
        if (err) {
          const nacked = err instanceof Error && err.message === 'message nacked';
          const describe = describeOf(raw);
          entry.settle(
            new PublishError(
              nacked
                ? `RabbitMQ refused ${describe} (nack). Retry the publish; check the broker logs if it persists.`
                : `The channel or connection to RabbitMQ was lost before the broker confirmed ${describe}; it may or may not have been delivered. Retry the publish (consumers must tolerate duplicates).`,
              { cause: err, details: nacked ? { destination: describe, nacked: true } : { destination: describe } },
            ),
          );
        } else if (entry.returned) {
          entry.settle(new UnroutableError(describeOf(raw)));
        } else {
          entry.settle(undefined);
        }
      });
    } catch (err) {
      this.pending.delete(seq);
      this.logger.debug({ err }, 'metro: publish on a closed channel; retrying on the next one');
      return undefined;
    }
    if (!this.sweeper) this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
    return promise;
  }

  /** Rejects publishes whose confirm did not come by their deadline; stops when nothing is pending. */
  private sweep(): void {
    const now = Date.now();
    for (const entry of this.pending.values()) {
      if (entry.deadline <= now) entry.settle(timeoutError('awaiting the broker confirm', describeOf(entry.raw), this.limits.publishTimeoutMs));
    }
    if (this.pending.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  private onReturn(message: Message): void {
    const { exchange, routingKey } = message.fields;
    const messageId = message.properties.messageId as unknown;
    for (const entry of this.pending.values()) {
      const o = entry.raw;
      if (!entry.returned && o.mandatory && o.exchange === exchange && o.routingKey === routingKey && (o.options.messageId ?? undefined) === (messageId ?? undefined)) {
        entry.returned = true;
        return;
      }
    }
    this.hooks.onUnconfirmedReturn?.(message);
  }

  private async openChannel(live: LiveConnection): Promise<void> {
    if (this.closed) return;
    const channel = this.hooks.confirms === false ? await live.model.createChannel() : await live.model.createConfirmChannel();
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
    const deadline = Date.now() + this.limits.publishTimeoutMs + SWEEP_MS * 2;
    while (this.outstanding > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await channel.close().catch(() => undefined);
  }
}

function timeoutError(phase: string, describe: string | undefined, timeoutMs: number): PublishError {
  return new PublishError(
    `Publish${describe ? ` to ${describe}` : ''} did not complete within ${timeoutMs} ms (${phase}). Check the broker connection, or raise publishTimeoutMs.`,
    { details: { timeoutMs, phase } },
  );
}

async function withDeadline<T>(promise: Promise<T>, deadline: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(onTimeout()), Math.max(1, deadline - Date.now()));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The AMQP options of a publish, with its `mandatory` flag (a copy only when the two differ). */
function publishOptions(raw: RawPublish): Options.Publish {
  return raw.mandatory === (raw.options.mandatory === true) ? raw.options : { ...raw.options, mandatory: raw.mandatory };
}

/** The destination of a publish, in words. */
export function describeOf(raw: RawPublish): string {
  return typeof raw.describe === 'string' ? raw.describe : raw.describe();
}
