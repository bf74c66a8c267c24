import { migrate } from '@metro/outbox-pg';
import { migrateScheduler } from '@metro/scheduler';
import { createTestDatabase, type TestDatabase } from '@metro/test-support';
import { sql } from 'kysely';
import { migrateSagas } from '../../src/index.js';

/** A fresh schema with the outbox's, the inbox's, the scheduler's and the saga tables; `drop()` removes it. */
export function createSagaDatabase(prefix: string, max = 10): Promise<TestDatabase> {
  return createTestDatabase({
    prefix,
    max,
    migrate: async (db, schema) => {
      await migrate(db, { schema });
      await migrateScheduler(db, { schema });
      await migrateSagas(db, { schema });
    },
  });
}

/** Outbox rows of the schema: message id, type and decoded data, in insertion order. */
export async function outboxMessages(t: TestDatabase): Promise<Array<{ messageId: string; type: string; data: Record<string, unknown> }>> {
  const rows = await sql<{
    message_id: string;
    type: string;
    body: Buffer;
  }>`SELECT message_id, type, body FROM ${sql.id(t.schema, 'outbox')} ORDER BY seq`.execute(t.db);
  return rows.rows.map((r) => ({
    messageId: r.message_id,
    type: r.type,
    data: (JSON.parse(Buffer.from(r.body).toString('utf8')) as { data: Record<string, unknown> }).data,
  }));
}

/** Counts rows of one table of the schema. */
export async function countRows(t: TestDatabase, table: string): Promise<number> {
  const r = await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.id(t.schema, table)}`.execute(t.db);
  return Number(r.rows[0]!.n);
}
