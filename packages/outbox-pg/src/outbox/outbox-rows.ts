import { sql, type Kysely } from 'kysely';
import type { Destination, HeaderValue, UnroutablePolicy } from '@metro/core';
import { execute, type Executor } from '../database/executor.js';

/** One outbox row to insert. */
export interface OutboxRowInput {
  /** The message id the transport publishes with. */
  readonly messageId: string;
  /** The message type, for operators (`null` when unknown). */
  readonly type: string | null;
  /** Where the relay publishes it. */
  readonly destination: Destination;
  /** Orders the row among its aggregate's rows under `ordering: 'aggregate'`; `null`: none. */
  readonly aggregateId: string | null;
  /** The bytes to publish, as they are. */
  readonly body: Uint8Array;
  /** Content type of `body`. */
  readonly contentType: string;
  /** Transport headers to publish with. */
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** When the message expires (the relay publishes it with the time left); `null`: never. */
  readonly expiresAt: Date | null;
  /** Message priority the transport publishes with. */
  readonly priority?: number | undefined;
  /** Deliver no sooner than this many ms after the relay publishes the row. */
  readonly delayMs?: number | undefined;
  /**
   * Topic rows: what the relay does when no queue receives it. Stored in the row's `destination`
   * (`{"kind":"topic",...,"unroutable":"error"}`); without it a topic row is accepted. Ignored for
   * commands and queues (always errors when unroutable).
   */
  readonly unroutable?: UnroutablePolicy | undefined;
}

/** The `destination` column of a row: topic rows carry their unroutable policy, when they have one. */
function storedDestination(row: OutboxRowInput): unknown {
  return row.unroutable !== undefined && row.destination.kind === 'topic' ? { ...row.destination, unroutable: row.unroutable } : row.destination;
}

/**
 * Inserts outbox rows through `executor` (the caller's transaction).
 * Exported for the failure store and the scheduler's worker, which share the table.
 *
 * @example
 * ```ts
 * await insertOutboxRows(db, 'metro', trx, [{ messageId, type: 'placed', destination: { kind: 'queue', queue: 'billing' }, aggregateId: null, body, contentType: 'application/json', headers: {}, expiresAt: null }]);
 * ```
 */
export async function insertOutboxRows(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  db: Kysely<any>,
  schema: string,
  executor: Executor,
  rows: ReadonlyArray<OutboxRowInput>,
): Promise<void> {
  if (rows.length === 0) return;
  const compiled = db
    .withSchema(schema)
    .insertInto('outbox')
    .values(
      rows.map((row) => ({
        message_id: row.messageId,
        type: row.type,
        destination: sql`cast(${JSON.stringify(storedDestination(row))} as jsonb)`,
        aggregate_id: row.aggregateId,
        body: Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength),
        content_type: row.contentType,
        headers: sql`cast(${JSON.stringify(row.headers)} as jsonb)`,
        expires_at: row.expiresAt,
        priority: row.priority ?? null,
        delay_ms: row.delayMs === undefined ? null : Math.max(0, Math.round(row.delayMs)),
      })),
    )
    .compile();
  await execute(executor, compiled);
}
