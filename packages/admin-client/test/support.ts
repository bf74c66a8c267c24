// What the client's and the CLI's tests need of a real admin server: a database with Metro's
// tables, failures and deferred messages recorded as the bus records them.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, type TestDatabase } from '@metro/test-support';
import { migrate, pgFailureStore, pgDeferredStore } from '@metro/outbox-pg';
import { migrateScheduler } from '@metro/scheduler';
import { silentLogger, type Envelope, type NewDeferred, type NewFailure } from '@metro/core';
import { createAdminRouter, createAdminServer, migrateAdmin, type AdminServer } from '@metro/admin-trpc';

export { pgDeferredStore };

/** A Kysely over a fresh schema with outbox-pg's and the scheduler's tables; `drop()` removes it all. */
export function createTestDb(prefix: string): Promise<TestDatabase> {
  return createTestDatabase({
    prefix,
    migrate: async (db, schema) => {
      await migrate(db, { schema });
      await migrateScheduler(db, { schema });
      await migrateAdmin(db, { schema });
    },
  });
}

let counter = 0;

function envelope(type: string, data: unknown, topic = 'orders'): Envelope {
  const id = `msg-${Date.now().toString(36)}-${++counter}`;
  return {
    specversion: '1.0',
    id,
    source: 'test',
    type,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data,
    kind: 'event',
    topic,
    subject: type,
  };
}

function recorded(env: Envelope) {
  return {
    messageId: env.id,
    service: 'billing',
    queue: 'billing',
    handler: 'charge',
    correlationId: env.id,
    envelope: env,
    body: new TextEncoder().encode(JSON.stringify(env)),
    contentType: 'application/cloudevents+json',
    headers: {},
  };
}

/** A failure as the bus would record it. */
export function newFailure(overrides: Partial<NewFailure> & { type?: string; data?: unknown } = {}): NewFailure {
  const env = envelope(overrides.type ?? 'placed', overrides.data ?? { orderId: '1' }, overrides.topic ?? 'orders');
  return {
    ...recorded(env),
    reason: 'handler',
    type: env.type,
    topic: env.topic ?? null,
    error: { name: 'Error', message: 'card declined', stack: 'Error: card declined\n    at charge (billing.ts:1:1)' },
    attempts: 3,
    ...overrides,
  };
}

/** A deferred message as `ctx.defer()` would record it. */
export function newDeferred(overrides: Partial<NewDeferred> = {}): NewDeferred {
  return { ...recorded(envelope('placed', { orderId: 'd1' })), type: 'placed', reason: 'waiting for stock', ...overrides };
}

/** Records failures one after the other; their ids in order. */
export async function recordMany(db: Kysely<any>, schema: string, failures: NewFailure[]): Promise<string[]> {
  const store = pgFailureStore(db, { schema });
  const ids: string[] = [];
  for (const failure of failures) ids.push((await store.record(failure)).id);
  return ids;
}

/** Count rows of one of Metro's tables in the schema. */
export async function countRows(db: Kysely<any>, schema: string, table: string, where = sql`true`): Promise<number> {
  const result = await sql<{ n: string }>`select count(*) as n from ${sql.id(schema, table)} where ${where}`.execute(db);
  return Number(result.rows[0]!.n);
}

/** An admin router and its HTTP + WebSocket server over `db`/`schema` on a free port; `close()` stops both. */
export async function serveAdmin(
  env: { db: Kysely<any>; schema: string },
  options: Omit<Parameters<typeof createAdminRouter>[0], 'db' | 'schema' | 'logger'>,
): Promise<{ server: AdminServer; close(): Promise<void> }> {
  const admin = createAdminRouter({ db: env.db, schema: env.schema, logger: silentLogger, ...options });
  const server = await createAdminServer({ router: admin, port: 0 });
  return {
    server,
    async close() {
      await server.close();
      await admin.close();
    },
  };
}

/** The built CLI. */
export const CLI_BIN = fileURLToPath(new URL('../dist/cli/metro-admin.js', import.meta.url));

/** Runs `metro-admin` with `args` and the environment given (url and token), as a user would. */
export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BIN, ...args], { env: { ...process.env, ...env }, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

/** Control characters a terminal could act on, found in `text`: C0 but newline and tab, DEL, C1, bidi overrides. */
export function terminalControls(text: string): string[] {
  return [...text].filter((c) => {
    const code = c.codePointAt(0)!;
    return (
      (code < 0x20 && code !== 0x0a && code !== 0x09) ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069)
    );
  });
}
