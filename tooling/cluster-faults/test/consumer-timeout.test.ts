// A handler running longer than the node's consumer timeout (c3: consumer_timeout = 5000 in its own
// rabbitmq.conf): the broker closes the channel, Metro reopens it, the message is redelivered and
// processed; nothing is lost.
import { afterEach, expect, it } from 'vitest';
import type { Delivery } from '@metro/core';
import { sleep, waitFor } from '@metro/test-support';
import { CONSUMER_TIMEOUT_MS, CONSUMER_TIMEOUT_NODE, transportOn } from './support/cluster.js';
import { Ledger } from './support/ledger.js';
import { queueMessage } from './support/messages.js';
import { ClusterScope } from './support/scope.js';

const scope = new ClusterScope();
afterEach(() => scope.cleanup(), 120_000);

it('a handler past consumer_timeout: the broker closes the channel, Metro recovers, the message is redelivered and processed', async () => {
  const queue = scope.queue('consumer-timeout');
  const service = scope.track(await transportOn(CONSUMER_TIMEOUT_NODE, 'consume', { queueType: 'quorum' }));
  await service.declareQueue({ queue });
  const ledger = new Ledger();
  const ids = ['slow', ...Array.from({ length: 20 }, (_, i) => `quick${i}`)];
  for (const id of ids) await ledger.publish(id, () => service.publish(queueMessage(queue, id)));
  const attempts = new Map<string, number>();
  const channels = new Set<unknown>();
  const began = Date.now();
  let slowDoneAt = 0;
  await service.consume(
    queue,
    async (d: Delivery) => {
      const n = (attempts.get(d.messageId) ?? 0) + 1;
      attempts.set(d.messageId, n);
      channels.add(service.consumersForTesting()[0]?.currentChannel);
      // The first delivery of `slow` holds its ack past the node's consumer timeout.
      if (d.messageId === 'slow' && n === 1) await sleep(CONSUMER_TIMEOUT_MS + 4000);
      ledger.receive(d.messageId);
      if (d.messageId === 'slow' && n > 1) slowDoneAt = Date.now();
      await d.ack();
    },
    { concurrency: 4 },
  );
  await waitFor(() => slowDoneAt > 0 && ledger.allReceived(), 60_000, 'the slow message to be redelivered and processed');
  ledger.report(
    'consumer timeout',
    `node ${CONSUMER_TIMEOUT_NODE} (consumer_timeout ${CONSUMER_TIMEOUT_MS} ms); 'slow' delivered ${attempts.get('slow')} times on ${channels.size} channels, processed ${slowDoneAt - began} ms after consuming began`,
  );
  expect(attempts.get('slow')).toBeGreaterThanOrEqual(2);
  expect(channels.size).toBeGreaterThanOrEqual(2);
  expect(ledger.lost).toBe(0);
});
