import { type OutgoingMessage } from '@metro/core';
import { endPublish, metroMetrics, observeGauge, SemanticAttributes, type PublishTelemetry } from '@metro/core/telemetry';
import { sql, type Kysely } from 'kysely';

/**
 * A row's publish was confirmed: ends its span and records `metro.outbox.relayed` (whose rate is
 * the relay's rows per second) and `metro.outbox.lag` (the row's insert until this confirm).
 *
 * @example
 * ```ts
 * await transport.publish(message).then(() => relayed(telemetry, message));
 * ```
 */
export function relayed(telemetry: PublishTelemetry, message: OutgoingMessage): void {
  endPublish(telemetry);
  const metrics = metroMetrics();
  if (metrics === undefined) return;
  const attributes = { [SemanticAttributes.messagingSystem]: telemetry.hop.system, [SemanticAttributes.destinationName]: telemetry.hop.destination };
  metrics.outboxRelayed.add(1, attributes);
  if (message.timestamp !== undefined) metrics.outboxLag.record(Math.max(0, Date.now() - message.timestamp) / 1000, attributes);
}

/**
 * A row's publish failed: ends its span with the error and rethrows it (the relay backs the row off).
 *
 * @example
 * ```ts
 * await transport.publish(message).catch((err) => relayFailed(telemetry, err));
 * ```
 */
export function relayFailed(telemetry: PublishTelemetry, error: unknown): never {
  endPublish(telemetry, error);
  throw error;
}

/**
 * Registers the `metro.outbox.pending` gauge (rows not yet published, counted when the metrics are
 * collected); the returned function unregisters it. Nothing without an OpenTelemetry SDK.
 *
 * @example
 * ```ts
 * const stop = observeOutboxPending(db, 'metro');
 * ```
 */
export function observeOutboxPending(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  schema: string,
): () => void {
  return observeGauge('metro.outbox.pending', { unit: '{row}', description: 'Outbox rows not yet published.' }, async (record) => {
    const { rows } = await sql<{ pending: string }>`select count(*)::text as pending from ${sql.id(schema, 'outbox')} where status = 'pending'`.execute(db);
    record(Number(rows[0]?.pending ?? 0), { 'metro.outbox.schema': schema });
  });
}
