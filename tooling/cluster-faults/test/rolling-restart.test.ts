// A rolling restart of all three nodes, one at a time, under a steady publish + consume on a quorum
// queue: no confirmed message is lost.
import { afterEach, expect, it } from 'vitest';
import { AmqpTransport } from '@metro/transport-amqp';
import { sleep, waitFor } from '@metro/test-support';
import { CLUSTER_URLS, nodeName, quiet, startNode, stopNode } from './support/cluster.js';
import { Ledger } from './support/ledger.js';
import { queueMessage } from './support/messages.js';
import { ClusterScope, consumeInto } from './support/scope.js';

const scope = new ClusterScope();
afterEach(() => scope.cleanup(), 120_000);

it('restarting c1, c2, c3 one at a time under steady publish + consume: 0 confirmed messages lost', async () => {
  const queue = scope.queue('rolling');
  const options = { urls: CLUSTER_URLS, queueType: 'quorum' as const, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 }, logger: quiet };
  const publisher = scope.track(new AmqpTransport(options));
  const consumer = scope.track(new AmqpTransport(options));
  await consumer.declareQueue({ queue });
  const ledger = new Ledger();
  await consumeInto(consumer, queue, ledger);
  // Steady load: 10 publishes every 25 ms (about 400 a second), each awaited on its own.
  let publishing = true;
  const inFlight = new Set<Promise<void>>();
  const load = (async () => {
    for (let n = 0; publishing; n += 10) {
      for (let k = 0; k < 10; k++) {
        const id = `m${n + k}`;
        const p = ledger.publish(id, () => publisher.publish(queueMessage(queue, id))).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(25);
    }
  })();
  const began = Date.now();
  const steps: string[] = [];
  await sleep(1000);
  for (const node of CLUSTER_URLS) {
    const at = Date.now();
    await stopNode(node);
    const down = Date.now();
    await startNode(node);
    steps.push(`${nodeName(node)} down ${down - at} ms, back ${Date.now() - at} ms`);
  }
  await sleep(1000);
  publishing = false;
  await load;
  await Promise.all([...inFlight]);
  await waitFor(() => ledger.allReceived(), 60_000, 'every confirmed message to be consumed');
  ledger.report('rolling restart', `${steps.join('; ')}; consumption stalled at most ${ledger.longestGapAfter(began)} ms; ${Date.now() - began} ms in all`);
  expect(ledger.lost).toBe(0);
  expect(ledger.confirmed.size).toBeGreaterThan(ledger.attempted * 0.9);
  expect(ledger.longestGapAfter(began)).toBeLessThan(30_000);
});
