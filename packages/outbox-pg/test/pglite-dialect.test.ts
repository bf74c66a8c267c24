import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createPgliteDb } from '../src/pglite-entry.js';

describe('PGlite dialect', () => {
  it('destroy() waits for the query in flight (PGlite cannot close under one); later queries fail fast', async () => {
    const { db, pglite } = createPgliteDb();
    await sql`select 1`.execute(db);
    // Not awaited, like a background prune when the app shuts down.
    const inFlight = sql<{ ok: number }>`select 1 as ok from pg_sleep(0.2)`.execute(db);
    const queued = sql<{ ok: number }>`select 2 as ok`.execute(db);
    await db.destroy();
    expect(pglite.closed).toBe(true);
    expect((await inFlight).rows).toEqual([{ ok: 1 }]);
    expect((await queued).rows).toEqual([{ ok: 2 }]);
    await expect(sql`select 3`.execute(db)).rejects.toThrow();
  });
});
