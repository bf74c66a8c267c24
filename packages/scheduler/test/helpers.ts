import { randomBytes } from 'node:crypto';
import { defineCommand, defineEvent } from '@metro/core';
import { createPgDatabase, migrate } from '@metro/outbox-pg';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { z } from 'zod';
import { createTestDatabase } from '@metro/test-support';
import { migrateScheduler } from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export const Reminder = defineEvent({ topic: 'orders', type: 'reminder', schema: z.object({ orderId: z.string() }) });
export const Tick = defineEvent({ topic: 'clock', type: 'tick', schema: z.object({ n: z.number().default(0) }) });
export const ExpireCart = defineCommand({ service: 'carts', type: 'expire', schema: z.object({ cartId: z.string() }), expiresIn: '30s' });

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

export interface TestDb {
  db: Kysely<any>;
  pool: pg.Pool;
  schema: string;
  close(): Promise<void>;
}

export function createDb(connectionString = DATABASE_URL, max = 10): { db: Kysely<any>; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max });
  return { db: createPgDatabase<any>(pool), pool };
}

/** A fresh schema with the outbox's and the scheduler's tables; `close()` drops it. */
export async function createTestDb(prefix: string): Promise<TestDb> {
  const { db, pool, schema, drop } = await createTestDatabase({
    prefix,
    migrate: async (db, schema) => {
      await migrate(db, { schema });
      await migrateScheduler(db, { schema });
    },
  });
  return { db, pool, schema, close: drop };
}

export interface OutboxRow {
  message_id: string;
  type: string;
  body: Buffer;
  created_at: Date;
}

export async function outboxRows(db: Kysely<any>, schema: string): Promise<OutboxRow[]> {
  const result = await sql<OutboxRow>`SELECT message_id, type, body, created_at FROM ${sql.id(schema, 'outbox')} ORDER BY seq`.execute(db);
  return result.rows;
}

export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
