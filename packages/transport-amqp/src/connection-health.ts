import type { TransportConnectionHealth } from '@metro/core';

/**
 * What one connection's health reports (see `Transport.health`): its state and since when, how
 * often it reconnected. The connection supervisor tells it each change; it does no I/O.
 *
 * @example
 * ```ts
 * const health = new ConnectionHealth();
 * health.connecting(); health.connected(); health.lost();
 * health.snapshot('publish', { endpoint: 'amqp://127.0.0.1:5672' }).state; // 'reconnecting'
 * ```
 */
export class ConnectionHealth {
  private state: TransportConnectionHealth['state'] = 'idle';
  private since = Date.now();
  private everConnected = false;
  private reconnects = 0;

  /** The first connect starts (a later call while not idle changes nothing). */
  connecting(): void {
    if (this.state === 'idle') this.enter('connecting');
  }

  connected(): void {
    if (this.everConnected) this.reconnects++;
    this.everConnected = true;
    this.enter('connected');
  }

  /** The connection dropped; the supervisor reconnects by itself. */
  lost(): void {
    if (this.state === 'connected') this.enter('reconnecting');
  }

  closed(): void {
    if (this.state !== 'closed') this.enter('closed');
  }

  /** The report of this connection; `blocked` is the broker's reason while it blocks the connection; `lastError` is shown while it is not connected. */
  snapshot(role: string, facts: { endpoint: string; blocked?: string | undefined; lastError?: unknown }): TransportConnectionHealth {
    const { lastError } = facts;
    return {
      role,
      state: this.state,
      since: this.since,
      reconnects: this.reconnects,
      endpoint: facts.endpoint,
      ...(this.state === 'connected' && facts.blocked !== undefined ? { blocked: facts.blocked } : {}),
      ...(lastError !== undefined && this.state !== 'connected'
        ? { lastError: lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError) }
        : {}),
    };
  }

  private enter(state: TransportConnectionHealth['state']): void {
    this.state = state;
    this.since = Date.now();
  }
}
