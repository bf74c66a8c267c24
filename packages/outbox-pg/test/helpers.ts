import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { handlePoolErrors } from '../src/index.js';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

export function uniqueSchema(label: string): string {
  return `t_${label}_${randomBytes(4).toString('hex')}`;
}

export interface TestDb {
  db: Kysely<any>;
  pool: pg.Pool;
  errors: Error[];
}

/** A kysely over a pg pool; connection errors are collected (handlePoolErrors) instead of crashing the test. */
export function createTestDb(connectionString = DATABASE_URL, max = 10, options?: string): TestDb {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 3000, ...(options !== undefined ? { options } : {}) });
  const errors: Error[] = [];
  handlePoolErrors(pool, { logger: { debug() {}, info() {}, error() {}, warn: (o) => void errors.push(o.err as Error) } });
  return { db: new Kysely({ dialect: new PostgresDialect({ pool }) }), pool, errors };
}

export async function dropSchema(db: Kysely<any>, schema: string): Promise<void> {
  await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Deletes test queues and exchanges from RabbitMQ (names that do not exist are ignored). */
export async function deleteAmqpTopology(names: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  const amqp = await import('amqplib');
  const conn = await amqp.connect(AMQP_URL);
  try {
    for (const q of names.queues ?? []) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const x of names.exchanges ?? []) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await ch.deleteExchange(x).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
  } finally {
    await conn.close();
  }
}
