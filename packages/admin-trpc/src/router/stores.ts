import type { Kysely } from 'kysely';
import { createOutbox, outboxStats, pgDeferredStore, pgFailureStore } from '@metro/outbox-pg';
import { createScheduler } from '@metro/scheduler';

/**
 * Kysely over the app's database, whatever its `Database` type: `Kysely<DB>` is invariant in `DB`,
 * so only `any` accepts every app's instance.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>;

/** The PostgreSQL stores the admin router reads and changes, all in one schema. */
export interface AdminStores {
  readonly failures: ReturnType<typeof pgFailureStore>;
  readonly deferred: ReturnType<typeof pgDeferredStore>;
  readonly outbox: ReturnType<typeof createOutbox>;
  readonly scheduler: ReturnType<typeof createScheduler>;
  readonly db: AnyKysely;
  outboxStats(): ReturnType<typeof outboxStats>;
}

/** Builds the stores over one kysely instance and schema. */
export function createAdminStores(db: AnyKysely, schema: string, source: string): AdminStores {
  return {
    failures: pgFailureStore(db, { schema }),
    deferred: pgDeferredStore(db, { schema }),
    outbox: createOutbox({ db, schema, source }),
    scheduler: createScheduler({ db, schema, source }),
    db,
    outboxStats: () => outboxStats(db, { schema }),
  };
}
