import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineEvent, InMemoryTransport } from '@metro/core';
import { createOutbox, createOutboxRelay, migrate, outboxStats } from '../src/index.js';
import { createPgliteDb } from '../src/pglite-entry.js';
import { waitFor } from './helpers.js';

const Placed = defineEvent({ topic: 'lite-orders', type: 'placed', schema: z.object({ n: z.number() }) });

describe('outbox + relay on PGlite (no server)', () => {
  it('publishes committed rows within milliseconds via NOTIFY, and nothing from a rollback', async () => {
    const { db, notifications } = createPgliteDb();
    const transport = new InMemoryTransport();
    const relay = createOutboxRelay({ db, transport, listen: notifications, pollInterval: '1m' });
    try {
      await migrate(db);
      await transport.declareQueue({ queue: 'lite', bindings: [{ topic: 'lite-orders', pattern: '#' }] });
      const got: string[] = [];
      await transport.consume('lite', async (d) => {
        got.push(d.messageId);
        await d.ack();
      });
      await relay.start();
      const outbox = createOutbox({ db, source: 'lite' });
      await expect(
        db.transaction().execute(async (trx) => {
          await outbox.publish(trx, Placed, { n: 0 });
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      const ids = await db
        .transaction()
        .execute(async (trx) => [(await outbox.publish(trx, Placed, { n: 1 })).id, (await outbox.publish(trx, Placed, { n: 2 })).id]);
      const committedAt = Date.now();
      // The poll interval is a minute: only the notification can make this fast.
      await waitFor(() => got.length === 2, 5000, 'rows published');
      expect(Date.now() - committedAt).toBeLessThan(2000);
      expect(got).toEqual(ids);
      await waitFor(async () => (await outboxStats(db)).pending === 0, 5000, 'rows marked sent');
    } finally {
      await relay.stop();
      await transport.close();
      await db.destroy();
    }
  }, 30_000);
});
