import { InMemoryTransport, type Transport } from '@metro/core';
import { createPgDatabase, migrate, pgNotifications, type NotificationSource } from '@metro/outbox-pg';
import { createPgliteDb } from '@metro/outbox-pg/pglite';
import { migrateSagas } from '@metro/saga';
import { migrateScheduler } from '@metro/scheduler';
import { migrateAdmin } from '@metro/admin-trpc';
import { AmqpTransport } from '@metro/transport-amqp';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { migrateShop } from './shop-schema.js';

/**
 * Where the shop runs: `embedded` (InMemoryTransport + PGlite, no servers needed) or `servers`
 * (RabbitMQ + PostgreSQL from METRO_AMQP_URL / DATABASE_URL).
 */
export interface ShopInfrastructure {
  readonly mode: 'embedded' | 'servers';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  readonly schema: string;
  readonly notifications: NotificationSource;
  /** A transport for one service: its own AMQP connection, or the one shared in-memory broker. */
  transport(service: string): Transport;
  /** True when services must not close the transport themselves (the shared in-memory one). */
  readonly sharedTransport: boolean;
  close(): Promise<void>;
}

export interface InfrastructureOptions {
  readonly amqpUrl?: string | undefined;
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL schema of Metro's and the shop's tables. Default 'shop'. */
  readonly schema?: string;
  /** Prefix of queue and exchange names on RabbitMQ (tests isolate themselves with it). */
  readonly prefix?: string;
}

/** Opens the database (migrated) and prepares transports, per the URLs given. */
export async function openInfrastructure(options: InfrastructureOptions): Promise<ShopInfrastructure> {
  const schema = options.schema ?? 'shop';
  if (!options.amqpUrl && !options.databaseUrl) {
    const { db, pglite, notifications } = createPgliteDb();
    await migrate(db, { schema });
    await migrateScheduler(db, { schema });
    await migrateSagas(db, { schema });
    await migrateAdmin(db, { schema });
    await migrateShop(db, schema);
    const transport = new InMemoryTransport({ name: 'shop-memory' });
    return {
      mode: 'embedded',
      db,
      schema,
      notifications,
      sharedTransport: true,
      transport: () => transport,
      async close() {
        await transport.close();
        await db.destroy();
        await pglite.close().catch(() => undefined);
      },
    };
  }
  if (!options.amqpUrl || !options.databaseUrl) {
    throw new Error('Set both METRO_AMQP_URL and DATABASE_URL to run on servers, or neither to run embedded (in-memory transport + PGlite).');
  }
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
  const db = createPgDatabase(pool); // a dropped connection fails its query, never crashes the process
  await migrate(db, { schema });
  await migrateScheduler(db, { schema });
  await migrateSagas(db, { schema });
  await migrateAdmin(db, { schema });
  await migrateShop(db, schema);
  const notifications = pgNotifications(pool);
  const transports: Transport[] = [];
  return {
    mode: 'servers',
    db,
    schema,
    notifications,
    sharedTransport: false,
    transport: () => {
      const t = new AmqpTransport({ url: options.amqpUrl, ...(options.prefix ? { prefix: options.prefix } : {}) });
      transports.push(t);
      return t;
    },
    async close() {
      await Promise.allSettled(transports.map((t) => t.close()));
      await db.destroy();
    },
  };
}
