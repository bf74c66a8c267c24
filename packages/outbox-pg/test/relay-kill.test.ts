import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { z } from 'zod';
import { createMetro, defineEvent, type Metro } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { createInbox, migrate, outboxStats, pgFailureStore } from '../src/index.js';
import { AMQP_URL, createTestDb, deleteAmqpTopology, dropSchema, sleep, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const TOTAL = 50_000;
const fixture = fileURLToPath(new URL('./fixtures/relay-process.mjs', import.meta.url));

function startRelay(schema: string): Promise<{ child: ChildProcess; published: () => number }> {
  const child = spawn(process.execPath, [fixture, schema, '500'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let published = 0;
  return new Promise((resolve, reject) => {
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') resolve({ child, published: () => published });
        else if (line.startsWith('{')) published = (JSON.parse(line) as { published: number }).published;
      }
    });
    child.once('exit', (code) => reject(new Error(`relay process exited early (${code})`)));
  });
}

describe('relay killed with SIGKILL in the middle of 50,000 events', () => {
  const schema = uniqueSchema('kill');
  const topic = `${schema}-topic`;
  const Evt = defineEvent({ topic, type: 'evt', schema: z.object({ i: z.number() }) });
  let t: TestDb;
  let metro: Metro;
  let counter: AmqpTransport;
  const deliveries = new Map<string, number>();
  let handlerRuns = 0;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    // The consumer's 50,000 inbox transactions dominate this test's time: skip the commit fsync on
    // this test database (the inbox's semantics do not depend on it).
    t = createTestDb(undefined, 40, '-c synchronous_commit=off');
    await migrate(t.db, { schema });
    await sql`create table ${sql.id(schema, 'effects')} (i integer not null)`.execute(t.db);
    // Every delivery the broker makes, duplicates included, on a queue of its own.
    counter = new AmqpTransport({ url: AMQP_URL });
    await counter.declareQueue({ queue: `${schema}-count`, bindings: [{ topic, pattern: '#' }] });
    await counter.consume(
      `${schema}-count`,
      async (d) => {
        deliveries.set(d.messageId, (deliveries.get(d.messageId) ?? 0) + 1);
        await d.ack();
      },
      { concurrency: 64, prefetch: 500 },
    );
    // The service: effectively-once handler through the inbox.
    metro = createMetro({
      service: `${schema}-svc`,
      transport: new AmqpTransport({ url: AMQP_URL }),
      inbox: createInbox({ db: t.db, schema }),
      failures: pgFailureStore(t.db, { schema }),
      concurrency: 48,
    });
    metro.on(
      Evt,
      async (payload, ctx) => {
        handlerRuns++;
        await sql`insert into ${sql.id(schema, 'effects')} (i) values (${payload.i})`.execute(ctx.trx as never);
      },
      { inbox: true, name: 'effects' },
    );
    await metro.start();
    // 50,000 committed rows, inserted in bulk.
    await sql`insert into ${sql.id(schema, 'outbox')} (message_id, type, destination, body, content_type, headers)
      select 'm-' || i, 'evt', ${JSON.stringify({ kind: 'topic', topic, subject: 'evt' })}::jsonb,
        convert_to(json_build_object('specversion', '1.0', 'id', 'm-' || i, 'source', 'bulk', 'type', 'evt', 'time', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
          'datacontenttype', 'application/json', 'data', json_build_object('i', i), 'kind', 'event', 'topic', ${topic}::text, 'subject', 'evt')::text, 'UTF8'),
        'application/cloudevents+json', '{}'::jsonb
      from generate_series(1, ${TOTAL}) as i`.execute(t.db);
  }, 60_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await metro?.stop();
    await counter?.close();
    await deleteAmqpTopology({ queues: [`${schema}-count`, `${schema}-svc`, `${schema}-svc.expired`], exchanges: [topic] });
    await dropSchema(t.db, schema);
    await t.db.destroy();
  }, 60_000);

  it('after a restart every event is on the broker, and the handler ran once per event', async () => {
    const first = await startRelay(schema);
    children.push(first.child);
    await waitFor(() => deliveries.size >= 8_000, 60_000, 'first relay to publish some events');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const pendingAtKill = (await outboxStats(t.db, { schema })).pending;
    expect(pendingAtKill).toBeGreaterThan(0);
    expect(pendingAtKill).toBeLessThan(TOTAL);

    const second = await startRelay(schema);
    children.push(second.child);
    const t0 = Date.now();
    await waitFor(() => deliveries.size === TOTAL, 90_000, 'every event on the broker');
    const brokerMs = Date.now() - t0;
    await waitFor(
      async () => (await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'effects')}`.execute(t.db)).rows[0]!.n === TOTAL,
      90_000,
      'every event handled',
    );
    const handledMs = Date.now() - t0;
    await sleep(500);
    const total = [...deliveries.values()].reduce((a, b) => a + b, 0);
    const duplicates = total - deliveries.size;
    console.log(
      `relay kill: pending at kill ${pendingAtKill}, broker deliveries ${total}, distinct ${deliveries.size}, duplicates ${duplicates}, handler runs ${handlerRuns}; after restart: on broker in ${brokerMs} ms, handled in ${handledMs} ms`,
    );
    expect(deliveries.size).toBe(TOTAL);
    expect(duplicates).toBeLessThanOrEqual(1000); // at most the batches in flight when killed (2 x 500)
    const effects = await sql<{ n: number; d: number }>`select count(*)::int as n, count(distinct i)::int as d from ${sql.id(schema, 'effects')}`.execute(t.db);
    expect(effects.rows[0]).toEqual({ n: TOTAL, d: TOTAL });
    expect(handlerRuns).toBe(TOTAL);
    expect((await outboxStats(t.db, { schema })).pending).toBe(0);
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));
  }, 180_000);
});
