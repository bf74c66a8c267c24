import { metroMetrics, observeGauge, SemanticAttributes } from '@metro/core/telemetry';

/** The attributes of a connection's metrics: RabbitMQ, and whether it is the publishing or the consuming connection. */
function connectionAttributes(role: 'publish' | 'consume'): Record<string, string> {
  return { [SemanticAttributes.messagingSystem]: 'rabbitmq', 'metro.connection.role': role };
}

/**
 * Registers the `metro.connection.state` gauge of one connection (1 connected, 0 not); the
 * returned function unregisters it. Nothing without an OpenTelemetry SDK.
 *
 * @example
 * ```ts
 * const stop = observeConnectionState('publish', '1', () => live !== undefined);
 * ```
 */
export function observeConnectionState(role: 'publish' | 'consume', id: string, connected: () => boolean): () => void {
  return observeGauge('metro.connection.state', { unit: '1', description: 'AMQP connection state: 1 connected, 0 not.' }, (record) =>
    record(connected() ? 1 : 0, { ...connectionAttributes(role), 'metro.connection.id': id }),
  );
}

/**
 * Counts a connection re-established after a loss (`metro.connection.reconnects`).
 *
 * @example
 * ```ts
 * if (generation > 1) countReconnect('consume');
 * ```
 */
export function countReconnect(role: 'publish' | 'consume'): void {
  metroMetrics()?.reconnects.add(1, connectionAttributes(role));
}
