import type { DeferredRecord, Envelope, HeaderValue } from '@metro/core';
import { jsonValue, toBytes, toDate } from '../database/columns.js';

/** A `deferred_messages` row as the drivers return it. */
export interface DeferredRow {
  seq: string | number | bigint;
  message_id: string;
  service: string;
  queue: string;
  handler: string | null;
  type: string;
  reason: string | null;
  correlation_id: string | null;
  envelope: unknown;
  body: Uint8Array;
  content_type: string;
  headers: unknown;
  deferred_at: Date | string;
}

/** Maps a row to the core record shape. */
export function toDeferredRecord(row: DeferredRow): DeferredRecord {
  return {
    seq: Number(row.seq),
    messageId: row.message_id,
    service: row.service,
    queue: row.queue,
    handler: row.handler,
    type: row.type,
    reason: row.reason,
    correlationId: row.correlation_id,
    envelope: jsonValue<Envelope>(row.envelope),
    body: toBytes(row.body),
    contentType: row.content_type,
    headers: jsonValue<Record<string, HeaderValue>>(row.headers),
    deferredAt: toDate(row.deferred_at),
  };
}
