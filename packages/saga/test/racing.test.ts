// 1,000 sagas with 10 racing messages each, on RabbitMQ and PostgreSQL: two buses of one service
// (competing consumers, 10 handlers at once each) take the messages of one saga side by side, so
// they contend for its row. Every message may start the saga (creation races too).
import { createMetro, defineCommand, defineEvent, InMemoryFailureStore, silentLogger, type Metro } from '@metro/core';
import type { TestDatabase } from '@metro/test-support';
import { AmqpTransport } from '@metro/transport-amqp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSagaRuntime, defineSaga, type SagaRuntime } from '../src/index.js';
import { AMQP_URL, deleteTopology, unique } from './support/amqp.js';
import { countRows, createSagaDatabase, outboxMessages } from './support/database.js';

const SAGAS = 1000;
const STEPS = 10;
const topic = unique('race');
const service = unique('race_svc');
const Step = defineEvent({ topic, type: 'step', schema: z.object({ sagaId: z.string(), n: z.number().int() }) });
const StepDone = defineCommand({ service: unique('race_out'), type: 'step-done', schema: z.object({ sagaId: z.string(), n: z.number().int() }) });
const AllDone = defineEvent({ topic, type: 'all-done', schema: z.object({ sagaId: z.string() }) });

const counting = defineSaga({
  name: 'counting',
  state: z.object({ steps: z.array(z.number().int()) }),
  currentState: (s) => `steps-${s.steps.length}`,
}).startedBy(Step, { key: (m) => m.sagaId }, async (m, state, ctx) => {
  const steps = [...(state?.steps ?? []), m.n];
  await ctx.send(StepDone, { sagaId: m.sagaId, n: m.n });
  if (steps.length === STEPS) await ctx.publish(AllDone, { sagaId: m.sagaId });
  return { steps };
});

let t: TestDatabase;
const buses: Array<{ metro: Metro; sagas: SagaRuntime; failures: InMemoryFailureStore }> = [];

beforeAll(async () => {
  t = await createSagaDatabase('saga_race', 30);
  for (let i = 0; i < 2; i++) {
    const failures = new InMemoryFailureStore();
    const metro = createMetro({ service, transport: new AmqpTransport({ url: AMQP_URL }), failures, logger: silentLogger, concurrency: 10 });
    const sagas = createSagaRuntime({ metro, db: t.db, schema: t.schema, logger: silentLogger });
    sagas.register(counting);
    await metro.start();
    buses.push({ metro, sagas, failures });
  }
});

afterAll(async () => {
  for (const { metro, sagas } of buses) {
    await metro.stop({ closeTransport: false });
    await sagas.close();
  }
  const transport = buses[0]?.metro.transport as AmqpTransport | undefined;
  if (transport) await deleteTopology(transport, { queues: [service], exchanges: [topic] });
  for (const { metro } of buses) await metro.transport.close();
  await t?.drop();
});

describe('1,000 sagas x 10 racing messages on RabbitMQ + PostgreSQL', () => {
  it('applies every transition once: 0 lost updates, one outbox row per transition, one AllDone per saga', async () => {
    const started = Date.now();
    const publisherBus = buses[0]!.metro;
    // Sagas go in blocks of 5, each block's 50 messages step by step (s0 n0, s1 n0, ... s4 n0, s0 n1, ...): the 20
    // handlers of the two buses hold about 4 messages of each of 5 sagas at any time, racing for each row.
    for (let block = 0; block < SAGAS; block += 5) {
      await Promise.all(
        Array.from({ length: STEPS }, (_, n) => n).flatMap((n) =>
          Array.from({ length: 5 }, (_, s) => publisherBus.publish(Step, { sagaId: `s${block + s}`, n })),
        ),
      );
    }
    const published = (Date.now() - started) / 1000;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const r = await sql<{ v: string | null }>`SELECT sum(version) AS v FROM ${sql.id(t.schema, 'sagas')}`.execute(t.db);
      if (Number(r.rows[0]!.v ?? 0) >= SAGAS * STEPS) break;
      if (Date.now() > deadline) throw new Error(`only ${r.rows[0]!.v} of ${SAGAS * STEPS} transitions after 240 s`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `racing: ${SAGAS * STEPS} transitions of ${SAGAS} sagas in ${seconds.toFixed(1)} s (published in ${published.toFixed(1)} s) (${Math.round((SAGAS * STEPS) / seconds)}/s, 2 buses x 10 handlers)`,
    );

    const rows = await sql<{ key: string; version: number; state: { steps: number[] }; current_state: string }>`
      SELECT key, version, state, current_state FROM ${sql.id(t.schema, 'sagas')} WHERE saga = 'counting'`.execute(t.db);
    expect(rows.rows).toHaveLength(SAGAS);
    const expected = Array.from({ length: STEPS }, (_, n) => n);
    const wrong = rows.rows.filter((r) => r.version !== STEPS || JSON.stringify([...r.state.steps].sort((a, b) => a - b)) !== JSON.stringify(expected));
    expect(wrong).toEqual([]); // 0 lost updates: every saga saw each of its 10 messages exactly once
    expect(new Set(rows.rows.map((r) => r.current_state))).toEqual(new Set(['steps-10']));

    const out = await outboxMessages(t);
    const done = out.filter((m) => m.type === 'step-done');
    expect(done).toHaveLength(SAGAS * STEPS);
    expect(new Set(done.map((m) => `${String(m.data.sagaId)}/${String(m.data.n)}`)).size).toBe(SAGAS * STEPS);
    const allDone = out.filter((m) => m.type === 'all-done');
    expect(new Set(allDone.map((m) => m.data.sagaId)).size).toBe(SAGAS);
    expect(allDone).toHaveLength(SAGAS);
    expect(await countRows(t, 'inbox')).toBe(SAGAS * STEPS);
    for (const { failures } of buses) expect((await failures.list()).items).toEqual([]);
  }, 300_000);
});
