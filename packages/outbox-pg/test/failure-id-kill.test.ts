// Bytes that cannot be decoded and carry no AMQP message id (what pika and most foreign producers
// send): a consumer killed between writing the failure and acking gets the message again, and the
// second record must land on the first (one record, one replay), not beside it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetro, silentLogger, type Metro } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { migrate, pgFailureStore } from '../src/index.js';
import { AMQP_URL, createTestDb, deleteAmqpTopology, dropSchema, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const fixture = fileURLToPath(new URL('./fixtures/record-then-die.mjs', import.meta.url));

describe('a consumer SIGKILLed after recording an undecodable, id-less message', () => {
  const schema = uniqueSchema('fid');
  const service = `${schema}-svc`;
  const topic = `${schema}-topic`;
  let t: TestDb;
  let metro: Metro | undefined;

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
  });

  afterAll(async () => {
    await metro?.stop();
    await deleteAmqpTopology({ queues: [service, `${service}.expired`], exchanges: [topic] });
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  it('leaves one failure record after the redelivery, and a retry of all replays it once', async () => {
    const child = spawn(process.execPath, [fixture, schema, service, topic], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
      void exited.then(() => reject(new Error('the consumer exited before it was ready')));
    });

    // A foreign producer: not JSON, no message id.
    const amqp = await import('amqplib');
    const connection = await amqp.connect(AMQP_URL);
    const channel = await connection.createConfirmChannel();
    channel.publish(topic, 'legacy.thing', Buffer.from('{"not json'), { contentType: 'application/json' });
    await channel.waitForConfirms();
    await connection.close();

    expect(await exited).toBe('SIGKILL');
    const rows = () =>
      sql<{ id: string; message_id: string; attempts: number }>`select id, message_id, attempts from ${sql.id(schema, 'failed_messages')}`
        .execute(t.db)
        .then((r) => r.rows);
    expect(await rows()).toHaveLength(1); // written, never acked

    // The service comes back: the broker redelivers, the failure is recorded again.
    const failures = pgFailureStore(t.db, { schema });
    metro = createMetro({ service, transport: new AmqpTransport({ url: AMQP_URL, logger: silentLogger }), failures, logger: silentLogger });
    metro.on({ topic, subject: '#' }, () => undefined);
    await metro.start();
    await waitFor(async () => (await rows()).some((r) => r.attempts >= 2), 15_000, 'the redelivery to be recorded');
    const after = await rows();
    expect(after).toHaveLength(1);
    expect(after[0]!.attempts).toBe(2);
    expect(await failures.retryMany({ status: 'failed' })).toMatchObject({ retried: 1 });
    const outbox = await sql<{ n: number }>`select count(*)::int as n from ${sql.id(schema, 'outbox')}`.execute(t.db);
    expect(outbox.rows[0]!.n).toBe(1);
  }, 60_000);
});
