import { createTestDatabase, DATABASE_URL, type TestDatabase } from '@metro/test-support';
import { migrate } from '@metro/outbox-pg';
import { migrateScheduler } from '@metro/scheduler';
import { migrateAdmin } from '@metro/admin-trpc';

export { DATABASE_URL };

/** A Kysely over a fresh schema with Metro's tables; `drop()` removes it. */
export function createTestDb(prefix: string): Promise<TestDatabase> {
  return createTestDatabase({
    prefix,
    max: 8,
    migrate: async (db, schema) => {
      await migrate(db, { schema });
      await migrateScheduler(db, { schema });
      await migrateAdmin(db, { schema });
    },
  });
}

/** The flags a fresh headless Chromium runs with in tests. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
