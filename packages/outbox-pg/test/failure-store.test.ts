import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { z } from 'zod';
import { InMemoryFailureStore, ValidationError, jsonEnvelopeCodec } from '@metro/core';
import { migrate, pgFailureStore, FailureNotEditableError } from '../src/index.js';
import { createPgliteDb, type PgliteDb } from '../src/pglite-entry.js';
import { failureStoreBehaviour, newFailure } from './failure-store-behaviour.js';
import { createTestDb, dropSchema, uniqueSchema, type TestDb } from './helpers.js';

const schemas: string[] = [];
let t: TestDb;
let lite: PgliteDb | undefined;

beforeAll(() => {
  t = createTestDb();
});
afterAll(async () => {
  for (const s of schemas) await dropSchema(t.db, s);
  await t.db.destroy();
  await lite?.db.destroy();
});

async function freshPgStore(label: string) {
  const schema = uniqueSchema(label);
  schemas.push(schema);
  await migrate(t.db, { schema });
  return { schema, store: pgFailureStore(t.db, { schema }) };
}

failureStoreBehaviour('InMemoryFailureStore (reference)', async () => new InMemoryFailureStore());
failureStoreBehaviour('pgFailureStore', async () => (await freshPgStore('fsb')).store);
failureStoreBehaviour('pgFailureStore on PGlite', async () => {
  lite ??= createPgliteDb();
  const schema = uniqueSchema('lite');
  await migrate(lite.db, { schema });
  return pgFailureStore(lite.db, { schema });
});

describe('pgFailureStore operator actions', () => {
  const outboxRows = async (schema: string) =>
    (
      await sql<{
        message_id: string;
        destination: { kind: string; queue: string };
        headers: Record<string, unknown>;
        body: Uint8Array;
        content_type: string;
      }>`select message_id, destination, headers, body, content_type from ${sql.id(schema, 'outbox')} order by seq`.execute(t.db)
    ).rows;

  it('retries through the outbox once, with the replay headers and the original bytes', async () => {
    const { schema, store } = await freshPgStore('fsr');
    const r = await store.record(
      newFailure({
        headers: {
          'x-death': 'x',
          'x-first-death-reason': 'expired',
          keep: 'me',
          'x-tenant': 'eu',
          'metro-attempt': 4,
          'metro-topic': 'orders',
          'metro-subject': 'placed.eu',
        },
      }),
    );
    const [first, second] = await Promise.all([store.retry(r.id), store.retryThroughOutbox(r.id)]);
    expect([first, second].filter((x) => x !== undefined)).toHaveLength(1);
    const rows = await outboxRows(schema);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.message_id).toBe(r.messageId);
    expect(rows[0]!.destination).toEqual({ kind: 'queue', queue: 'billing' });
    // Where it came from is kept (the consumer routes and decodes by it); the per-copy headers are not.
    expect(rows[0]!.headers).toEqual({
      keep: 'me',
      'x-tenant': 'eu',
      'metro-topic': 'orders',
      'metro-subject': 'placed.eu',
      'metro-failure-id': r.id,
      'metro-handler': 'charge',
      'metro-attempt': 1,
    });
    expect(new Uint8Array(rows[0]!.body)).toEqual(r.body);
    expect((await store.get(r.id))?.status).toBe('retried');
  });

  it('a no-handler failure for a named handler replays to that handler only, as the bus replays it', async () => {
    const { schema, store } = await freshPgStore('fsn');
    const r = await store.record(newFailure({ reason: 'no-handler', handler: 'gone', headers: { 'metro-topic': 'orders' } }));
    await store.retry(r.id);
    const rows = await outboxRows(schema);
    expect(rows[0]!.headers).toEqual({ 'metro-topic': 'orders', 'metro-failure-id': r.id, 'metro-attempt': 1, 'metro-handler': 'gone' });
  });

  it('edits the payload (validated) and re-encodes the envelope', async () => {
    const { schema, store } = await freshPgStore('fse');
    const r = await store.record(newFailure());
    const schemaOfPayload = z.object({ orderId: z.string() });
    await expect(store.editAndRetry(r.id, { orderId: 42 }, { schema: schemaOfPayload })).rejects.toBeInstanceOf(ValidationError);
    expect((await store.get(r.id))?.status).toBe('failed');
    expect(await outboxRows(schema)).toHaveLength(0);
    const edited = await store.editAndRetry(r.id, { orderId: 'fixed' }, { schema: schemaOfPayload });
    expect(edited?.envelope?.data).toEqual({ orderId: 'fixed' });
    const rows = await outboxRows(schema);
    expect(rows).toHaveLength(1);
    const decoded = jsonEnvelopeCodec.decode({ body: new Uint8Array(rows[0]!.body), headers: {} });
    expect(decoded).toMatchObject({ id: r.messageId, data: { orderId: 'fixed' }, type: 'placed' });
    expect((await store.get(r.id))?.envelope?.data).toEqual({ orderId: 'fixed' });
    const undecodable = await store.record(newFailure({ envelope: null, reason: 'decode' }));
    await expect(store.editAndRetry(undecodable.id, { orderId: 'x' })).rejects.toBeInstanceOf(FailureNotEditableError);
    expect(await store.retry(undecodable.id)).toBeDefined();
    expect(await outboxRows(schema)).toHaveLength(2);
  });

  it('retryMany, deleteMany and stats', async () => {
    const { schema, store } = await freshPgStore('fsm');
    const a = await store.record(newFailure({ type: 'placed' }));
    const b = await store.record(newFailure({ type: 'placed' }));
    const c = await store.record(newFailure({ type: 'cancelled', reason: 'validation' }));
    await store.claimRetry(b.id);
    expect(await store.retryMany({ type: 'placed' })).toEqual({ retried: 1, skipped: 0 });
    expect(await store.retryMany([a.id, c.id, 'nope'])).toEqual({ retried: 1, skipped: 2 });
    expect(await outboxRows(schema)).toHaveLength(2);
    const stats = await store.stats();
    expect(stats.total).toBe(3);
    expect(stats.byStatus).toEqual({ failed: 0, retried: 3, resolved: 0, deleted: 0 });
    expect(stats.byReason).toEqual({ handler: 2, validation: 1 });
    expect(stats.byType).toEqual([
      { type: 'placed', count: 2 },
      { type: 'cancelled', count: 1 },
    ]);
    expect(await store.deleteMany({ type: 'placed' })).toBe(2);
    expect(await store.deleteMany([c.id, a.id])).toBe(1);
    expect((await store.list()).items).toHaveLength(0);
    expect((await store.stats()).byStatus.deleted).toBe(3);
  });
});
