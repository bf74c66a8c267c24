import type { Envelope, FailureReason, FailureRecord, FailureStatus, HeaderValue, RecordedError } from '@metro/core';
import type { Kysely } from 'kysely';
import { jsonValue, toBytes, toDate } from '../database/columns.js';

/** Where a store's `failed_messages` table lives: its database and schema. */
export interface FailureTable {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly schema: string;
}

/** A `failed_messages` row as the drivers return it. */
export interface FailureRow {
  id: string;
  message_id: string;
  service: string;
  queue: string;
  handler: string | null;
  reason: string;
  type: string | null;
  topic: string | null;
  correlation_id: string | null;
  envelope: unknown;
  body: Uint8Array;
  content_type: string;
  headers: unknown;
  error_name: string;
  error_code: string | null;
  error_message: string;
  error_stack: string | null;
  attempts: number;
  status: string;
  first_failed_at: Date | string;
  last_failed_at: Date | string;
  retry_count: number;
  retried_at: Date | string | null;
  resolved_at: Date | string | null;
  trace_id: string | null;
}

/** Maps a row to the core record shape. */
export function toFailureRecord(row: FailureRow): FailureRecord {
  const error: RecordedError = {
    name: row.error_name,
    message: row.error_message,
    ...(row.error_code !== null ? { code: row.error_code } : {}),
    ...(row.error_stack !== null ? { stack: row.error_stack } : {}),
  };
  return {
    id: row.id,
    messageId: row.message_id,
    service: row.service,
    queue: row.queue,
    handler: row.handler,
    reason: row.reason as FailureReason,
    type: row.type,
    topic: row.topic,
    correlationId: row.correlation_id,
    envelope: row.envelope === null ? null : jsonValue<Envelope>(row.envelope),
    body: toBytes(row.body),
    contentType: row.content_type,
    headers: jsonValue<Record<string, HeaderValue>>(row.headers),
    error,
    attempts: Number(row.attempts),
    status: row.status as FailureStatus,
    firstFailedAt: toDate(row.first_failed_at),
    lastFailedAt: toDate(row.last_failed_at),
    retryCount: Number(row.retry_count),
    retriedAt: row.retried_at === null ? null : toDate(row.retried_at),
    resolvedAt: row.resolved_at === null ? null : toDate(row.resolved_at),
    traceId: row.trace_id ?? null,
  };
}

/** Keyset cursor of a failure listing: (lastFailedAt, id) of the last item. */
export function encodeFailureCursor(record: { lastFailedAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([record.lastFailedAt.toISOString(), record.id])).toString('base64url');
}

/** Decodes a cursor; `undefined` for a malformed one (the listing then starts at the top). */
export function decodeFailureCursor(cursor: string): { lastFailedAt: Date; id: string } | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'string' && typeof value[1] === 'string') {
      const lastFailedAt = new Date(value[0]);
      if (!Number.isNaN(lastFailedAt.getTime())) return { lastFailedAt, id: value[1] };
    }
  } catch {
    // fall through
  }
  return undefined;
}
