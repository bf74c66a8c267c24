import { createTestDatabase, type TestDatabase } from '@metro/test-support';
import { ConfigurationError } from '@metro/core';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateSagas } from '../src/index.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase({ prefix: 'saga_migr' });
});
afterAll(async () => {
  await t?.drop();
});

describe('migrateSagas', () => {
  it('creates the saga table once, even when instances migrate at the same time', async () => {
    const runs = await Promise.all([
      migrateSagas(t.db, { schema: t.schema }),
      migrateSagas(t.db, { schema: t.schema }),
      migrateSagas(t.db, { schema: t.schema }),
    ]);
    expect(runs.map((r) => r.applied).flat()).toEqual([1]);
    const columns = await sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns
      WHERE table_schema = ${t.schema} AND table_name = 'sagas' ORDER BY ordinal_position`.execute(t.db);
    expect(columns.rows.map((c) => c.column_name)).toEqual([
      'saga',
      'key',
      'state',
      'current_state',
      'version',
      'status',
      'timeouts',
      'history',
      'created_at',
      'updated_at',
      'completed_at',
      'expires_at',
    ]);
    expect((await migrateSagas(t.db, { schema: t.schema })).applied).toEqual([]);
  });

  it('refuses a schema name that is not a plain identifier', async () => {
    await expect(migrateSagas(t.db, { schema: 'x"; drop table y; --' })).rejects.toBeInstanceOf(ConfigurationError);
  });
});
