import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { createTestDatabase, DATABASE_URL, type TestDatabase } from '@metro/test-support';
import { migrate, pgFailureStore, pgDeferredStore } from '@metro/outbox-pg';
import { migrateScheduler } from '@metro/scheduler';
import type { Envelope, NewFailure, NewDeferred } from '@metro/core';
import { createTRPCClient, createWSClient, httpLink, splitLink, wsLink, type TRPCClient } from '@trpc/client';
import { WebSocket } from 'ws';
import { createAdminServer, migrateAdmin, tokenAuth, type AdminAppRouter, type AdminRouter, type AdminServerOptions, type Authorizer } from '../src/index.js';

/** One token per built-in role, for the role tests. */
export const ROLE_TOKENS = {
  viewer: 'viewer-token-0123456789abcdef',
  operator: 'operator-token-0123456789abcdef',
  admin: 'admin-token-0123456789abcdef',
} as const;

/** `tokenAuth` with the principals `viewer`, `operator` and `admin`, each with its role. */
export function roleAuth(): Authorizer {
  return tokenAuth({
    viewer: { token: ROLE_TOKENS.viewer, roles: ['viewer'] },
    operator: { token: ROLE_TOKENS.operator, roles: ['operator'] },
    admin: { token: ROLE_TOKENS.admin, roles: ['admin'] },
  });
}

export { DATABASE_URL };

export function suffix(): string {
  return randomBytes(4).toString('hex');
}

/** A Kysely over a fresh schema with outbox-pg's, the scheduler's and the admin's (audit) tables; `drop()` removes it all. */
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

export function envelope(type: string, data: unknown, topic = 'orders'): Envelope {
  counter++;
  const id = `msg-${Date.now().toString(36)}-${counter}-${suffix()}`;
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

/** A failure as the bus would record it. */
export function newFailure(overrides: Partial<NewFailure> & { type?: string; data?: unknown } = {}): NewFailure {
  const env = envelope(overrides.type ?? 'placed', overrides.data ?? { orderId: '1' }, overrides.topic ?? 'orders');
  const body = new TextEncoder().encode(JSON.stringify(env));
  return {
    messageId: env.id,
    service: 'billing',
    queue: 'billing',
    handler: 'charge',
    reason: 'handler',
    type: env.type,
    topic: env.topic ?? null,
    correlationId: env.id,
    envelope: env,
    body,
    contentType: 'application/cloudevents+json',
    headers: {},
    error: { name: 'Error', message: 'card declined', stack: 'Error: card declined\n    at charge (billing.ts:1:1)' },
    attempts: 3,
    ...overrides,
  };
}

export function newDeferred(overrides: Partial<NewDeferred> = {}): NewDeferred {
  const env = envelope('placed', { orderId: 'd1' });
  return {
    messageId: env.id,
    service: 'billing',
    queue: 'billing',
    handler: 'charge',
    type: 'placed',
    reason: 'waiting for stock',
    correlationId: env.id,
    envelope: env,
    body: new TextEncoder().encode(JSON.stringify(env)),
    contentType: 'application/cloudevents+json',
    headers: {},
    ...overrides,
  };
}

/** Records failures with a few in flight at once. */
export async function recordMany(db: Kysely<any>, schema: string, failures: NewFailure[], concurrency = 8): Promise<string[]> {
  const store = pgFailureStore(db, { schema });
  const ids: string[] = new Array(failures.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < failures.length) {
        const i = next++;
        ids[i] = (await store.record(failures[i]!)).id;
      }
    }),
  );
  return ids;
}

export { pgFailureStore, pgDeferredStore };

/** Polls `check` until it returns true or the timeout passes. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** `n` copies of failure `id` in one statement, each with its own id and message id (every other column as recorded). */
export async function copyFailure(db: Kysely<any>, schema: string, id: string, n: number): Promise<void> {
  const table = sql.id(schema, 'failed_messages');
  const columns = (
    await sql<{
      name: string;
    }>`select column_name as name from information_schema.columns where table_schema = ${schema} and table_name = 'failed_messages' order by ordinal_position`.execute(
      db,
    )
  ).rows.map((r) => r.name);
  const copied = columns.map((c) => (c === 'id' || c === 'message_id' ? sql`f.${sql.id(c)} || '-' || g` : sql`f.${sql.id(c)}`));
  await sql`insert into ${table} (${sql.join(columns.map((c) => sql.id(c)))})
    select ${sql.join(copied)} from ${table} f, generate_series(1, ${n}) g where f.id = ${id}`.execute(db);
}

/** Count rows of one of Metro's tables in the schema. */
export async function countRows(db: Kysely<any>, schema: string, table: string, where = sql`true`): Promise<number> {
  const result = await sql<{ n: string }>`select count(*) as n from ${sql.id(schema, table)} where ${where}`.execute(db);
  return Number(result.rows[0]!.n);
}

/** A tRPC client of the admin API, as a user's would be (HTTP, and a WebSocket for subscriptions), with `close()`. */
export type AdminClient = TRPCClient<AdminAppRouter> & { close(): Promise<void> };

/**
 * A plain tRPC client of the admin router for these tests. The published client is
 * `@metro/admin-client`, which has this package as a peer: importing it here would make the
 * workspace graph a cycle, so the router is tested over the wire with tRPC's own client.
 */
export function createAdminClient(options: { url: string; token: string; allOverWebSocket?: boolean }): AdminClient {
  const base = `${options.url}/trpc`;
  const wsClient = createWSClient({
    url: base.replace(/^http/, 'ws'),
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    connectionParams: () => ({ token: options.token }),
    lazy: { enabled: true, closeMs: 1000 },
  });
  const client = createTRPCClient<AdminAppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription' || options.allOverWebSocket === true,
        true: wsLink({ client: wsClient }),
        false: httpLink({ url: base, headers: () => ({ authorization: `Bearer ${options.token}` }) }),
      }),
    ],
  });
  const close = () => wsClient.close();
  // The tRPC client is a proxy that treats every property as a procedure path: answer `close` first.
  return new Proxy(client, { get: (target, property, receiver) => (property === 'close' ? close : Reflect.get(target, property, receiver)) }) as AdminClient;
}

/** `router` served on a free port, a client of it with `token`, and one call that closes the three. */
export async function serveAdmin(
  router: AdminRouter,
  token: string,
  options: Omit<AdminServerOptions, 'router' | 'port'> = {},
): Promise<{ client: AdminClient; url: string; close(): Promise<void> }> {
  const server = await createAdminServer({ router, port: 0, ...options });
  const client = createAdminClient({ url: server.url, token });
  return {
    client,
    url: server.url,
    async close() {
      await client.close();
      await server.close();
      await router.close();
    },
  };
}
