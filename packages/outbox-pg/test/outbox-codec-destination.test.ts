import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineCommand, InMemoryTransport, serviceCommandCodec, type Delivery } from '@metro/core';
import { createOutbox, createOutboxRelay, migrate } from '../src/index.js';
import { createTestDb, dropSchema, uniqueSchema, waitFor, type TestDb } from './helpers.js';

const SendSms = defineCommand({ service: 'sms', type: 'send_sms', schema: z.object({ phoneNumber: z.string() }), expiresIn: '1m' });

describe("a codec's own routing through the outbox (PostgreSQL, in-memory broker)", () => {
  const schema = uniqueSchema('outbox_codec');
  let t: TestDb;
  let transport: InMemoryTransport;
  const received: Delivery[] = [];

  beforeAll(async () => {
    t = createTestDb();
    await migrate(t.db, { schema });
    transport = new InMemoryTransport();
    // What a Python consumer of send_command binds: the exchange named after the service.
    await transport.declareQueue({ queue: 'python-sms', bindings: [{ topic: 'sms', pattern: '#' }] });
    await transport.consume('python-sms', async (d) => {
      received.push(d);
      await d.ack();
    });
  });
  afterAll(async () => {
    await transport.close();
    await dropSchema(t.db, schema);
    await t.db.destroy();
  });

  it("a command encoded by serviceCommandCodec goes to the service's exchange (routing key = type), as a direct send does", async () => {
    const outbox = createOutbox({ db: t.db, schema, source: 'billing', codec: serviceCommandCodec });
    await t.db.transaction().execute((trx) => outbox.send(trx, SendSms, { phoneNumber: '+44 1' }));
    const relay = createOutboxRelay({ db: t.db, schema, transport, pollInterval: 50 });
    await relay.start();
    try {
      await waitFor(() => received.length === 1, 10_000, 'the command at the Python queue');
    } finally {
      await relay.stop();
    }
    const [delivery] = received;
    expect({ topic: delivery!.topic, subject: delivery!.subject }).toEqual({ topic: 'sms', subject: 'send_sms' });
    const body = JSON.parse(Buffer.from(delivery!.body).toString('utf8')) as { phoneNumber: string; meta: { expiredTime?: string } };
    expect(body.phoneNumber).toBe('+44 1');
    expect(Date.parse(body.meta.expiredTime ?? '')).toBeGreaterThan(Date.now());
  });
});
