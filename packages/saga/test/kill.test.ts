// SIGKILL of the saga service in the middle of transitions, then a restart: every saga ends in the
// right state, no command was written twice (a redelivered one carries its first id), and each
// saga's timeout reached it once.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMetro, silentLogger, type Metro } from '@metro/core';
import { fakeService, type FakeService } from '@metro/core/testing';
import { DATABASE_URL, waitFor, type TestDatabase } from '@metro/test-support';
import { AmqpTransport } from '@metro/transport-amqp';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMQP_URL, deleteTopology, unique } from './support/amqp.js';
import { createSagaDatabase, outboxMessages } from './support/database.js';
import { shipping } from './support/shipping-saga.js';

const SAGAS = 300;
const here = dirname(fileURLToPath(import.meta.url));
const names = { topic: unique('kill'), service: unique('kill_svc'), out: unique('kill_out') };
const { Start, Confirm, saga } = shipping(names);
let t: TestDatabase;
let publisher: Metro;
let received: FakeService;
const children: ChildProcess[] = [];

async function startService(appName: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures', 'saga-service.ts')], {
    env: {
      ...process.env,
      DATABASE_URL,
      METRO_AMQP_URL: AMQP_URL,
      SCHEMA: t.schema,
      TOPIC: names.topic,
      SERVICE: names.service,
      OUT: names.out,
      APP_NAME: appName,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`saga service exited early (${code})`)));
  });
  return child;
}

const versions = async () =>
  (
    await sql<{ key: string; version: number; status: string }>`SELECT key, version, status FROM ${sql.id(t.schema, 'sagas')} WHERE state IS NOT NULL`.execute(
      t.db,
    )
  ).rows;

beforeAll(async () => {
  t = await createSagaDatabase('saga_kill');
  publisher = createMetro({ service: unique('kill_pub'), transport: new AmqpTransport({ url: AMQP_URL }), logger: silentLogger });
  received = await fakeService(publisher.transport, names.out);
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await received?.stop();
  if (publisher) await deleteTopology(publisher.transport as AmqpTransport, { queues: [names.service, names.out], exchanges: [names.topic] });
  await publisher?.transport.close();
  await t?.drop();
});

describe('a saga service SIGKILLed mid-transitions, then restarted', () => {
  it('ends every saga completed once, with each command written once and each timeout applied once', async () => {
    const first = await startService(`saga-kill-1-${t.schema}`);
    for (let i = 0; i < SAGAS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, (_, j) => publisher.publish(Start, { id: `k${i + j}` })));
      await Promise.all(Array.from({ length: 50 }, (_, j) => publisher.publish(Confirm, { id: `k${i + j}` })));
    }
    // Kill once about a third of the work is done, while the service holds a transaction open.
    await waitFor(async () => (await versions()).reduce((n, r) => n + r.version, 0) >= SAGAS, 60_000, 'a third of the transitions');
    await waitFor(
      async () =>
        Number(
          (
            await sql<{
              n: string;
            }>`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = ${`saga-kill-1-${t.schema}`} AND xact_start IS NOT NULL`.execute(t.db)
          ).rows[0]!.n,
        ) > 0,
      5_000,
      'a transaction of the service in flight',
      2,
    );
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const atKill = await versions();
    const doneAtKill = atKill.filter((r) => r.status === 'completed').length;
    const transitionsAtKill = atKill.reduce((n, r) => n + r.version, 0);
    expect(transitionsAtKill).toBeLessThan(3 * SAGAS); // it died with work left

    const second = await startService(`saga-kill-2-${t.schema}`);
    await waitFor(async () => (await versions()).filter((r) => r.status === 'completed').length === SAGAS, 120_000, 'every saga completed');
    await waitFor(async () => new Set(received.received.map((r) => r.envelope.id)).size >= 3 * SAGAS, 30_000, 'every command delivered');
    second.kill('SIGTERM');
    console.log(`kill: ${transitionsAtKill} of ${3 * SAGAS} transitions (${doneAtKill} sagas completed) at the SIGKILL, all after the restart`);

    const rows = await sql<{ key: string; version: number; history: Array<{ message: string }> }>`
      SELECT key, version, history FROM ${sql.id(t.schema, 'sagas')} WHERE saga = ${saga.name}`.execute(t.db);
    expect(rows.rows).toHaveLength(SAGAS);
    const expectedHistory = [`${names.topic}.start`, `${names.topic}.confirm`, `${names.service}:expire`];
    expect(rows.rows.filter((r) => r.version !== 3 || JSON.stringify(r.history.map((h) => h.message)) !== JSON.stringify(expectedHistory))).toEqual([]);

    // Each command written once per saga (the outbox), and every delivered copy carries that one id.
    const commands = (await outboxMessages(t)).filter((m) => ['reserve', 'ship', 'notify'].includes(m.type));
    expect(commands).toHaveLength(3 * SAGAS);
    expect(new Set(commands.map((m) => `${m.type}/${String(m.data.id)}`)).size).toBe(3 * SAGAS);
    const written = new Set(commands.map((m) => m.messageId));
    expect(received.received.every((r) => written.has(r.envelope.id))).toBe(true);
    // Each saga's pending timeout fired once: one schedule per saga fired and applied, the replaced ones cancelled or dropped.
    const fired = await sql<{ n: string; sagas: string }>`SELECT count(*) AS n, count(DISTINCT tags->>'sagaKey') AS sagas
      FROM ${sql.id(t.schema, 'scheduled_messages')} WHERE status = 'fired'`.execute(t.db);
    expect(fired.rows[0]).toEqual({ n: String(SAGAS), sagas: String(SAGAS) });
  }, 240_000);
});
