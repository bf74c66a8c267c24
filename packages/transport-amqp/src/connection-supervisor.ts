import amqp, { type ChannelModel } from 'amqplib';
import type { Logger, TransportConnectionHealth } from '@metro/core';
import { reconnectDelay } from './reconnect-delay.js';
import { countReconnect, observeConnectionState } from './connection-metrics.js';
import { AmqpConnectError, redactUrl } from './errors.js';
import type { ResolvedAmqpOptions } from './options.js';
import { withHeartbeat } from './options.js';
import { watchHeartbeat } from './heartbeat-watchdog.js';
import { coalesceWrites } from './write-coalescing.js';
import { ConnectionHealth } from './connection-health.js';

/** A live connection and its generation (1 for the first connection, +1 per reconnect). */
export interface LiveConnection {
  readonly model: ChannelModel;
  readonly generation: number;
}

type ConnectedListener = (live: LiveConnection) => Promise<void> | void;
type SimpleListener = () => void;

/**
 * Owns one AMQP connection for one role (`publish` or `consume`): connects, listens for `error`,
 * `close`, `blocked` and `unblocked`, and reconnects with backoff until `close()`. Listeners added
 * with `onConnected` run, in order, after every (re)connect, before waiters are released, so
 * topology is re-declared before consumers resume and publishes flow.
 */
let supervisors = 0;

export class ConnectionSupervisor {
  private live: LiveConnection | undefined;
  private generation = 0;
  private attempts = 0;
  private nodeIndex: number | undefined;
  private closing = false;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private blockedReason: string | undefined;
  private readonly connectedListeners: ConnectedListener[] = [];
  private readonly lostListeners: SimpleListener[] = [];
  private readonly unblockedListeners: SimpleListener[] = [];
  private readonly readyListeners: SimpleListener[] = [];
  private waiters = new Set<() => void>();
  private lastError: unknown;
  private readonly health = new ConnectionHealth();
  /** Unregisters the `metro.connection.state` gauge of this connection (registered at the first start). */
  private stopStateGauge: (() => void) | undefined;
  private readonly telemetryId = `${++supervisors}`;

  constructor(
    private readonly role: 'publish' | 'consume',
    private readonly options: ResolvedAmqpOptions,
    private readonly logger: Logger,
  ) {}

  /** Runs after every (re)connect, before waiters are released. A throwing listener forces a reconnect. */
  onConnected(listener: ConnectedListener): void {
    this.connectedListeners.push(listener);
  }

  /** Runs when the connection is lost (not on `close()`). */
  onLost(listener: SimpleListener): void {
    this.lostListeners.push(listener);
  }

  /** Runs when the broker lifts a memory/disk alarm on this connection. */
  onUnblocked(listener: SimpleListener): void {
    this.unblockedListeners.push(listener);
  }

  /** Runs after every (re)connect once the connection is ready (`current` set), after the `onConnected` listeners. */
  onReady(listener: SimpleListener): void {
    this.readyListeners.push(listener);
  }

  /** The connection when connected (and ready), else undefined. */
  get current(): LiveConnection | undefined {
    return this.live;
  }

  /** True while the broker has blocked this connection (memory or disk alarm). */
  get blocked(): boolean {
    return this.blockedReason !== undefined;
  }

  get closed(): boolean {
    return this.closing;
  }

  /** Connects if not yet connected (idempotent); retries in the background until `close()`. */
  ensureStarted(): void {
    if (this.live || this.connecting || this.retryTimer || this.closing) return;
    this.stopStateGauge ??= observeConnectionState(this.role, this.telemetryId, () => this.live !== undefined);
    this.health.connecting();
    this.connecting = this.connect().finally(() => {
      this.connecting = undefined;
    });
  }

  /**
   * Resolves with the live (and, with `unblocked`, not blocked) connection, or rejects with
   * `AmqpConnectError` after `timeoutMs`.
   */
  async whenReady(timeoutMs: number, unblocked = false): Promise<LiveConnection> {
    this.ensureStarted();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const live = this.live;
      if (live && !(unblocked && this.blocked)) return live;
      if (this.closing) throw new AmqpConnectError(this.options.url, timeoutMs, new Error('closed'));
      const left = deadline - Date.now();
      if (left <= 0) throw new AmqpConnectError(this.options.url, timeoutMs, this.lastError);
      await new Promise<void>((resolve) => {
        const waiter = (): void => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve();
        };
        const timer = setTimeout(waiter, left);
        this.waiters.add(waiter);
      });
    }
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  private async connect(): Promise<void> {
    if (this.closing) return;
    const url = this.nodeUrl();
    let model: ChannelModel;
    try {
      model = await amqp.connect(withHeartbeat(url, this.options.heartbeat), {
        // Bounds the TCP + AMQP handshake (amqplib clears it once open): a black-holed broker must not hang a reconnect.
        timeout: 10_000,
        // Small messages (requests, replies, confirms) must not wait for Nagle's algorithm.
        noDelay: true,
        ...this.options.socketOptions,
        clientProperties: { connection_name: `metro-${this.role}` },
      });
    } catch (err) {
      this.lastError = err;
      this.logger.warn({ err, role: this.role, url: redactUrl(url) }, 'metro: AMQP connect failed; retrying');
      this.nextNode();
      this.scheduleRetry();
      return;
    }
    // One writev per event-loop turn instead of one write per frame (see coalesceWrites).
    coalesceWrites(model);
    const generation = ++this.generation;
    let lost = false;
    const stopWatchdog = watchHeartbeat(model, this.options.heartbeat, () =>
      this.logger.warn({ role: this.role, heartbeat: this.options.heartbeat }, 'metro: no heartbeat from RabbitMQ; dropping the dead connection'),
    );
    const onLost = (err?: unknown): void => {
      stopWatchdog();
      if (lost) return;
      lost = true;
      if (this.live?.model === model) this.live = undefined;
      this.blockedReason = undefined;
      if (this.closing) return;
      this.health.lost();
      this.logger.warn({ err, role: this.role, generation, url: redactUrl(url) }, 'metro: AMQP connection lost; reconnecting');
      this.nextNode();
      for (const l of this.lostListeners) safely(l, this.logger);
      this.scheduleRetry();
    };
    model.on('error', (err: unknown) => {
      this.lastError = err;
      this.logger.warn({ err, role: this.role }, 'metro: AMQP connection error');
    });
    model.on('close', (err?: unknown) => onLost(err));
    model.on('blocked', (reason: string) => {
      this.blockedReason = reason || 'unknown';
      this.logger.warn({ role: this.role, reason }, 'metro: broker blocked the connection (memory or disk alarm); publishing is paused until it is unblocked');
    });
    model.on('unblocked', () => {
      this.blockedReason = undefined;
      this.logger.info({ role: this.role }, 'metro: broker unblocked the connection; publishing resumes');
      for (const l of this.unblockedListeners) safely(l, this.logger);
      this.wake();
    });
    if (this.closing) {
      stopWatchdog();
      await model.close().catch(() => undefined);
      return;
    }
    const live: LiveConnection = { model, generation };
    try {
      for (const listener of this.connectedListeners) await listener(live);
    } catch (err) {
      this.lastError = err;
      this.logger.error({ err, role: this.role }, 'metro: setup after connect failed; reconnecting');
      lost = true;
      await model.close().catch(() => undefined);
      this.scheduleRetry();
      return;
    }
    if (lost) return;
    this.attempts = 0;
    this.live = live;
    this.health.connected();
    if (generation > 1) countReconnect(this.role);
    this.logger.info({ role: this.role, generation, url: redactUrl(url) }, 'metro: AMQP connected');
    this.wake();
    for (const l of this.readyListeners) safely(l, this.logger);
  }

  /** The node this connection tries now: a random one at first, so instances spread over a cluster. */
  private nodeUrl(): string {
    const urls = this.options.urls;
    this.nodeIndex ??= Math.floor(Math.random() * urls.length);
    return urls[this.nodeIndex % urls.length]!;
  }

  /** After a failed connect or a lost connection, the next attempt goes to the next node. */
  private nextNode(): void {
    if (this.nodeIndex !== undefined) this.nodeIndex = (this.nodeIndex + 1) % this.options.urls.length;
  }

  /** @internal The node URL of the live connection, for tests. */
  get connectedUrl(): string | undefined {
    return this.live === undefined || this.nodeIndex === undefined ? undefined : this.options.urls[this.nodeIndex % this.options.urls.length];
  }

  private scheduleRetry(): void {
    if (this.closing || this.retryTimer) return;
    const delay = reconnectDelay(this.attempts++, this.options.reconnect);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensureStarted();
    }, delay);
  }

  /** This connection's state for `Transport.health()` (no I/O). */
  healthReport(): TransportConnectionHealth {
    return this.health.snapshot(this.role, { endpoint: redactUrl(this.nodeUrl()), blocked: this.blockedReason, lastError: this.lastError });
  }

  /** Closes the connection and stops reconnecting. Safe to call twice. */
  async close(): Promise<void> {
    this.closing = true;
    this.health.closed();
    this.stopStateGauge?.();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.connecting?.catch(() => undefined);
    const live = this.live;
    this.live = undefined;
    this.wake();
    if (live) await live.model.close().catch(() => undefined);
  }
}

function safely(listener: () => void, logger: Logger): void {
  try {
    listener();
  } catch (err) {
    logger.error({ err }, 'metro: connection listener threw');
  }
}
