import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { FailureQuery, FailureStatus } from '@metro/core';
import { decodeFailureCursor } from './failure-rows.js';

/** Escapes `%`, `_` and `\` for a LIKE pattern. */
export function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The statuses a query asks for (default: all but `deleted`). */
export function statusesOf(query: FailureQuery): ReadonlyArray<FailureStatus> {
  if (query.status === undefined) return ['failed', 'retried', 'resolved'];
  return typeof query.status === 'string' ? [query.status] : query.status;
}

/**
 * The WHERE clause of a failure listing (without the cursor unless `withCursor`).
 */
export function failureWhere(
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  eb: ExpressionBuilder<any, any>,
  query: FailureQuery,
  withCursor: boolean,
): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [];
  const statuses = statusesOf(query);
  parts.push(statuses.length === 0 ? sql<SqlBool>`false` : eb('status', 'in', [...statuses]));
  if (query.type !== undefined) parts.push(eb('type', '=', query.type));
  if (query.topic !== undefined) parts.push(eb('topic', '=', query.topic));
  if (query.service !== undefined) parts.push(eb('service', '=', query.service));
  if (query.queue !== undefined) parts.push(eb('queue', '=', query.queue));
  if (query.reason !== undefined) parts.push(eb('reason', '=', query.reason));
  // Served by failed_messages_error_idx (error_name, last_failed_at desc, id desc).
  if (query.errorName !== undefined) parts.push(eb('error_name', '=', query.errorName));
  if (query.from !== undefined) parts.push(eb('last_failed_at', '>=', query.from));
  if (query.to !== undefined) parts.push(eb('last_failed_at', '<', query.to));
  if (query.text !== undefined && query.text !== '') {
    const pattern = `%${likeEscape(query.text)}%`;
    parts.push(
      eb.or([
        eb('error_message', 'ilike', pattern),
        eb('error_name', 'ilike', pattern),
        eb('error_code', 'ilike', pattern),
        eb('type', 'ilike', pattern),
        eb('message_id', 'ilike', pattern),
      ]),
    );
  }
  if (withCursor && query.cursor !== undefined) {
    const cursor = decodeFailureCursor(query.cursor);
    if (cursor !== undefined) parts.push(sql<SqlBool>`(last_failed_at, id) < (${cursor.lastFailedAt}, ${cursor.id})`);
  }
  return eb.and(parts);
}

/** Page size of a listing: default 50, at most 500. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined || !Number.isFinite(limit)) return 50;
  return Math.min(500, Math.max(1, Math.floor(limit)));
}
