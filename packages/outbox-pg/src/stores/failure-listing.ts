import type { FailureQuery, FailureRecord, Page } from '@metro/core';
import { failureWhere, pageLimit } from './failure-query.js';
import { encodeFailureCursor, toFailureRecord, type FailureRow, type FailureTable } from './failure-rows.js';

/**
 * Reads one failure record by id.
 *
 * @example
 * ```ts
 * const record = await getFailure({ db, schema: 'metro' }, id);
 * ```
 */
export async function getFailure({ db, schema }: FailureTable, id: string): Promise<FailureRecord | undefined> {
  const row = (await db.withSchema(schema).selectFrom('failed_messages').selectAll().where('id', '=', id).executeTakeFirst()) as FailureRow | undefined;
  return row === undefined ? undefined : toFailureRecord(row);
}

/**
 * One page of the records matching `query`, newest failure first, with the cursor of the next page.
 *
 * @example
 * ```ts
 * const { items, nextCursor } = await listFailures({ db, schema: 'metro' }, { reason: 'handler', limit: 20 });
 * ```
 */
export async function listFailures({ db, schema }: FailureTable, query: FailureQuery = {}): Promise<Page<FailureRecord>> {
  const limit = pageLimit(query.limit);
  const rows = (await db
    .withSchema(schema)
    .selectFrom('failed_messages')
    .selectAll()
    .where((eb) => failureWhere(eb, query, true))
    .orderBy('last_failed_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit + 1)
    .execute()) as FailureRow[];
  const items = rows.slice(0, limit).map(toFailureRecord);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? encodeFailureCursor(last) : null };
}

/**
 * The ids an operator action applies to: the given ids as they are, or every record matching the
 * filter with its status replaced by `status` (cursor and limit ignored), newest first.
 *
 * @example
 * ```ts
 * const ids = await failureIds({ db, schema: 'metro' }, { type: 'placed' }, 'failed');
 * ```
 */
export async function failureIds(
  { db, schema }: FailureTable,
  filterOrIds: FailureQuery | ReadonlyArray<string>,
  status: FailureQuery['status'],
): Promise<string[]> {
  if (Array.isArray(filterOrIds)) return [...(filterOrIds as ReadonlyArray<string>)];
  const rows = await db
    .withSchema(schema)
    .selectFrom('failed_messages')
    .select('id')
    .where((eb) => failureWhere(eb, { ...(filterOrIds as FailureQuery), status }, false))
    .orderBy('last_failed_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map((r) => String(r.id));
}
