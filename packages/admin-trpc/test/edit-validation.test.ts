import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { z } from 'zod';
import { ConfigurationError, defineCommand, defineEvent, ValidationError, type NewFailure } from '@metro/core';
import { createAdminRouter, MessageDefinitionMissingError, tokenAuth, type AdminRouter } from '../src/index.js';
import { countRows, createTestDb, newFailure, recordMany, serveAdmin, type AdminClient } from './support.js';

const TOKEN = 'edit-validation-token';
const Placed = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ orderId: z.string() }) });
const Charge = defineCommand({ service: 'billing', type: 'charge', schema: z.object({ amountCents: z.number().int().positive() }) });

let env: Awaited<ReturnType<typeof createTestDb>>;
let admin: AdminRouter;
let lenient: AdminRouter;
let served: Awaited<ReturnType<typeof serveAdmin>> | undefined;
let client: AdminClient;

beforeAll(async () => {
  env = await createTestDb('admin_edit');
  admin = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({ ops: { token: TOKEN, roles: ['operator'] } }),
    messages: [Placed, Charge],
  });
  lenient = createAdminRouter({
    db: env.db,
    schema: env.schema,
    authorize: tokenAuth({ ops: { token: TOKEN, roles: ['operator'] } }),
    messages: [Placed],
    allowUnvalidatedEdits: true,
  });
  served = await serveAdmin(admin, TOKEN);
  client = served.client;
});

afterAll(async () => {
  await served?.close();
  await lenient?.close();
  await env?.drop();
});

async function record(failure: NewFailure): Promise<string> {
  return (await recordMany(env.db, env.schema, [failure], 1))[0]!;
}

/** A failed command `billing:charge`, as the bus records one. */
function chargeFailure(data: unknown): NewFailure {
  const failure = newFailure({ type: 'charge', data, topic: null });
  const { topic: _topic, subject: _subject, ...envelope } = failure.envelope!;
  return { ...failure, envelope: { ...envelope, kind: 'command', service: 'billing' } };
}

const outboxRows = async () => (await sql<{ body: Buffer }>`select body from ${sql.id(env.schema, 'outbox')} order by seq`.execute(env.db)).rows;
const statusOf = async (id: string) => (await client.failed.get.query({ id })).status;

describe('failed.editAndRetry validates the edit with the message definition', () => {
  it('refuses an invalid payload with the schema issues, and writes nothing', async () => {
    const event = await record(newFailure({ type: 'placed', data: { orderId: 'o1' } }));
    const command = await record(chargeFailure({ amountCents: 100 }));
    const before = await countRows(env.db, env.schema, 'outbox');

    const refused = client.failed.editAndRetry.mutate({ id: event, payload: { orderId: 42 } });
    await expect(refused).rejects.toMatchObject({ data: { code: 'BAD_REQUEST', metroCode: 'VALIDATION_FAILED' } });
    await expect(refused).rejects.toThrow(/orderId: .*string.*Fix the payload so it matches the schema/);
    await expect(client.failed.editAndRetry.mutate({ id: command, payload: { amountCents: -1 } })).rejects.toThrow(/amountCents/);

    expect(await countRows(env.db, env.schema, 'outbox')).toBe(before);
    expect(await statusOf(event)).toBe('failed');
    expect((await client.failed.get.query({ id: event })).payload).toEqual({ orderId: 'o1' });
    expect(await statusOf(command)).toBe('failed');
  });

  it('retries a valid payload through the outbox', async () => {
    const event = await record(newFailure({ type: 'placed', data: { orderId: 'o2' } }));
    const command = await record(chargeFailure({ amountCents: 0 }));
    const before = await countRows(env.db, env.schema, 'outbox');

    expect(await client.failed.editAndRetry.mutate({ id: event, payload: { orderId: 'fixed' } })).toEqual({ retried: true, status: 'retried' });
    expect(await client.failed.editAndRetry.mutate({ id: command, payload: { amountCents: 250 } })).toEqual({ retried: true, status: 'retried' });

    const rows = await outboxRows();
    expect(rows).toHaveLength(before + 2);
    expect(rows.slice(-2).map((r) => JSON.parse(Buffer.from(r.body).toString('utf8')).data)).toEqual([{ orderId: 'fixed' }, { amountCents: 250 }]);
  });

  it('refuses an edit of a type it has no definition for (the topic counts), and says what to do', async () => {
    const unknownType = await record(newFailure({ type: 'shipped', topic: 'shipping', data: { parcel: 'p1' } }));
    const otherTopic = await record(newFailure({ type: 'placed', topic: 'shipping', data: { orderId: 'o3' } }));
    const before = await countRows(env.db, env.schema, 'outbox');

    const refused = client.failed.editAndRetry.mutate({ id: unknownType, payload: { parcel: 'p2' } });
    await expect(refused).rejects.toMatchObject({ data: { code: 'PRECONDITION_FAILED', metroCode: 'MESSAGE_DEFINITION_MISSING' } });
    await expect(refused).rejects.toThrow(/no definition of event "shipping\.shipped".*createAdminRouter\(\{ messages/);
    await expect(client.failed.editAndRetry.mutate({ id: otherTopic, payload: { orderId: 'o4' } })).rejects.toMatchObject({
      data: { metroCode: 'MESSAGE_DEFINITION_MISSING' },
    });

    expect(await countRows(env.db, env.schema, 'outbox')).toBe(before);
    expect(await statusOf(unknownType)).toBe('failed');
    expect(await client.failed.retry.mutate({ id: otherTopic })).toEqual({ retried: true, status: 'retried' });
  });

  it('with allowUnvalidatedEdits, writes edits of unknown types unchecked but still validates known ones', async () => {
    const caller = lenient.createCaller({ id: 'operator', roles: ['operator'] });
    const unknownType = await record(newFailure({ type: 'shipped', topic: 'shipping', data: { parcel: 'p1' } }));
    const known = await record(newFailure({ type: 'placed', data: { orderId: 'o5' } }));
    const before = await countRows(env.db, env.schema, 'outbox');

    await expect(caller.failed.editAndRetry({ id: known, payload: { orderId: 5 } })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      cause: expect.any(ValidationError),
    });
    expect(await caller.failed.editAndRetry({ id: unknownType, payload: { anything: true } })).toEqual({ retried: true, status: 'retried' });

    const rows = await outboxRows();
    expect(rows).toHaveLength(before + 1);
    expect(JSON.parse(Buffer.from(rows[rows.length - 1]!.body).toString('utf8')).data).toEqual({ anything: true });
  });

  it('refuses, by default, through a server-side caller too, with the typed error as cause', async () => {
    const id = await record(newFailure({ type: 'shipped', topic: 'shipping' }));
    await expect(admin.createCaller({ id: 'operator', roles: ['operator'] }).failed.editAndRetry({ id, payload: {} })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
      cause: expect.any(MessageDefinitionMissingError),
    });
  });

  it('refuses to build with two different definitions of one type, and tells apart types whose names hold a dot', async () => {
    const Other = defineEvent({ topic: 'orders', type: 'placed', schema: z.object({ id: z.number() }) });
    expect(() =>
      createAdminRouter({ db: env.db, schema: env.schema, authorize: tokenAuth({ ops: { token: TOKEN, roles: ['operator'] } }), messages: [Placed, Other] }),
    ).toThrow(ConfigurationError);
    const sameTwice = createAdminRouter({
      db: env.db,
      schema: env.schema,
      authorize: tokenAuth({ ops: { token: TOKEN, roles: ['operator'] } }),
      messages: [Placed, Placed],
    });
    await sameTwice.close();
    // Names holding the separator are different types: "orders.line" + "added" is not "orders" + "line.added".
    const A = defineEvent({ topic: 'orders.line', type: 'added', schema: z.object({ a: z.string() }) });
    const B = defineEvent({ topic: 'orders', type: 'line.added', schema: z.object({ b: z.string() }) });
    const both = createAdminRouter({ db: env.db, schema: env.schema, authorize: tokenAuth({ ops: { token: TOKEN, roles: ['operator'] } }), messages: [A, B] });
    try {
      const id = await record(newFailure({ type: 'line.added', topic: 'orders' }));
      await expect(both.createCaller({ id: 'operator', roles: ['operator'] }).failed.editAndRetry({ id, payload: { a: 'x' } })).rejects.toMatchObject({
        code: 'BAD_REQUEST',
      });
      await both.createCaller({ id: 'operator', roles: ['operator'] }).failed.editAndRetry({ id, payload: { b: 'x' } });
    } finally {
      await both.close();
    }
  });
});
