// The saga runtime on RabbitMQ and PostgreSQL: a transition's inbox record, saga row, outbox rows and
// timeouts commit together or not at all; duplicates are skipped; timeouts fire through the scheduler
// worker and the relay, and replaced or completed ones are cancelled.
import { createMetro, defineCommand, defineEvent, InMemoryFailureStore, silentLogger, type Metro } from '@metro/core';
import { fakeService, type FakeService } from '@metro/core/testing';
import { createOutboxRelay, pgNotifications, type OutboxRelay } from '@metro/outbox-pg';
import { createSchedulerWorker, type SchedulerWorker } from '@metro/scheduler';
import { waitFor, type TestDatabase } from '@metro/test-support';
import { AmqpTransport } from '@metro/transport-amqp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSagaRuntime, defineSaga, type SagaRuntime } from '../src/index.js';
import { AMQP_URL, deleteTopology, unique } from './support/amqp.js';
import { createSagaDatabase, outboxMessages } from './support/database.js';

const topic = unique('rt');
const service = unique('rt_svc');
const out = unique('rt_out');
const Begin = defineEvent({ topic, type: 'begin', schema: z.object({ id: z.string(), timeoutMs: z.number() }) });
const Replace = defineEvent({ topic, type: 'replace', schema: z.object({ id: z.string() }) });
const Finish = defineEvent({ topic, type: 'finish', schema: z.object({ id: z.string() }) });
const Tick = defineCommand({ service, type: 'tick', schema: z.object({ id: z.string() }) });
const Work = defineCommand({ service: out, type: 'work', schema: z.object({ id: z.string() }) });

/** Keys whose first start attempt throws after it sent and scheduled: the rollback must drop both. */
const failOnce = new Set(['flaky']);

const saga = defineSaga({ name: 'runtime', state: z.object({ id: z.string(), ticks: z.number() }), completed: 'delete' })
  .startedBy(Begin, { key: (m) => m.id }, async (m, state, ctx) => {
    await ctx.send(Work, { id: m.id });
    await ctx.requestTimeout(Tick, { id: m.id }, { delay: m.timeoutMs });
    if (failOnce.delete(m.id)) throw new Error('boom after send');
    return state ?? { id: m.id, ticks: 0 };
  })
  .on(Replace, { key: (m) => m.id }, async (m, state, ctx) => {
    await ctx.requestTimeout(Tick, { id: m.id }, { delay: '1h' });
    return state;
  })
  .on(Finish, { key: (m) => m.id }, (_m, _state, ctx) => ctx.complete())
  .onTimeout(Tick, { key: (m) => m.id }, (_m, state) => ({ ...state, ticks: state.ticks + 1 }));

let t: TestDatabase;
let metro: Metro;
let sagas: SagaRuntime;
let relay: OutboxRelay;
let worker: SchedulerWorker;
let outService: FakeService;
const failures = new InMemoryFailureStore();

beforeAll(async () => {
  t = await createSagaDatabase('saga_rt');
  metro = createMetro({ service, transport: new AmqpTransport({ url: AMQP_URL }), failures, logger: silentLogger });
  sagas = createSagaRuntime({ metro, db: t.db, schema: t.schema, logger: silentLogger });
  sagas.register(saga, { retry: { attempts: 5, delay: '50ms', backoff: 'fixed' } });
  await metro.start();
  outService = await fakeService(metro.transport, out);
  // Sent rows are kept (status sent) so the tests can count them.
  relay = createOutboxRelay({ db: t.db, transport: metro.transport, schema: t.schema, listen: pgNotifications(t.pool), logger: silentLogger, retention: '1h' });
  worker = createSchedulerWorker({ db: t.db, schema: t.schema, listen: pgNotifications(t.pool), logger: silentLogger });
  await relay.start();
  await worker.start();
});

afterAll(async () => {
  await worker?.stop();
  await relay?.stop();
  await outService?.stop();
  await metro?.stop({ closeTransport: false });
  await sagas?.close();
  if (metro) await deleteTopology(metro.transport as AmqpTransport, { queues: [service, out], exchanges: [topic] });
  await metro?.transport.close();
  await t?.drop();
});

const sagaRow = async (key: string) =>
  (
    await sql<{ version: number; state: { ticks: number }; timeouts: Record<string, { id: string }> }>`
    SELECT version, state, timeouts FROM ${sql.id(t.schema, 'sagas')} WHERE saga = 'runtime' AND key = ${key}`.execute(t.db)
  ).rows[0];
const scheduleStatus = async (id: string) =>
  (await sql<{ status: string }>`SELECT status FROM ${sql.id(t.schema, 'scheduled_messages')} WHERE id = ${id}`.execute(t.db)).rows[0]?.status;

describe('the saga runtime on RabbitMQ + PostgreSQL', () => {
  it('rolls back a failed transition entirely (outbox row, schedule, saga, inbox), then applies its retry once', async () => {
    await metro.publish(Begin, { id: 'flaky', timeoutMs: 3_600_000 });
    await waitFor(async () => (await sagaRow('flaky'))?.version === 1, 10_000, 'the retried start to commit');
    const work = (await outboxMessages(t)).filter((m) => m.type === 'work' && m.data.id === 'flaky');
    expect(work).toHaveLength(1);
    const schedules = await sql<{
      id: string;
    }>`SELECT id FROM ${sql.id(t.schema, 'scheduled_messages')} WHERE tags @> ${JSON.stringify({ sagaKey: 'flaky' })}::jsonb`.execute(t.db);
    expect(schedules.rows).toHaveLength(1); // the rolled-back attempt's schedule is gone
    expect(Object.values((await sagaRow('flaky'))!.timeouts).map((x) => x.id)).toEqual(schedules.rows.map((r) => r.id));
    const inbox = await sql<{
      n: string;
    }>`SELECT count(*) AS n FROM ${sql.id(t.schema, 'inbox')} WHERE consumer LIKE ${`%:saga:runtime:${topic}.begin`}`.execute(t.db);
    expect(Number(inbox.rows[0]!.n)).toBe(1);
    expect((await failures.list()).items).toEqual([]);
  });

  it('skips a redelivered message (same id) through the inbox', async () => {
    const id = `dup-${t.schema}`;
    await metro.publish(Begin, { id: 'dup', timeoutMs: 3_600_000 }, { id });
    await metro.publish(Begin, { id: 'dup', timeoutMs: 3_600_000 }, { id });
    await waitFor(async () => (await sagaRow('dup'))?.version === 1, 10_000, 'the start to commit');
    await new Promise((r) => setTimeout(r, 500)); // room for the copy to be (not) applied
    expect((await sagaRow('dup'))?.version).toBe(1);
    expect((await outboxMessages(t)).filter((m) => m.type === 'work' && m.data.id === 'dup')).toHaveLength(1);
  });

  it('fires a timeout through the scheduler worker and the relay, as a typed message, once', async () => {
    await metro.publish(Begin, { id: 'tick', timeoutMs: 300 });
    await waitFor(async () => (await sagaRow('tick'))?.state.ticks === 1, 15_000, 'the timeout to reach the saga');
    const row = await sagaRow('tick');
    expect(row).toMatchObject({ version: 2, timeouts: {} });
    await waitFor(async () => outService.receivedOf(Work).some((w) => w.id === 'tick'), 10_000, 'the Work command to arrive');
  });

  it('cancels a replaced timeout and, on completion, the pending one', async () => {
    await metro.publish(Begin, { id: 'replace', timeoutMs: 60_000 });
    await waitFor(async () => (await sagaRow('replace'))?.version === 1, 10_000, 'the start');
    const first = Object.values((await sagaRow('replace'))!.timeouts)[0]!.id;
    await metro.publish(Replace, { id: 'replace' });
    await waitFor(async () => (await sagaRow('replace'))?.version === 2, 10_000, 'the replacement');
    const second = Object.values((await sagaRow('replace'))!.timeouts)[0]!.id;
    expect(second).not.toBe(first);
    await waitFor(async () => (await scheduleStatus(first)) === 'cancelled', 5_000, 'the replaced timeout to be cancelled');
    await metro.publish(Finish, { id: 'replace' });
    await waitFor(async () => (await sagaRow('replace')) === undefined, 10_000, 'the completion (deleted)');
    await waitFor(async () => (await scheduleStatus(second)) === 'cancelled', 5_000, 'the pending timeout to be cancelled');
  });
});
