// AmqpTransport on a real 3-node RabbitMQ cluster (tooling/rabbitmq-cluster/cluster.sh, next to
// the default node, which it never touches): with `urls`, a connection whose node is stopped
// moves to another node, restores its topology and consumers, and no confirmed message is lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '@metro/core';
import { AmqpTransport } from '../src/index.js';
import { sleep, unique, waitFor } from './support/broker.js';
import { CLUSTER_URLS, nodeCtl, startCluster, stopCluster } from './support/cluster.js';
import { textMessage } from './support/messages.js';

const TOTAL = 20_000;

describe('AmqpTransport on a 3-node cluster', () => {
  beforeAll(startCluster, 200_000);
  afterAll(stopCluster, 120_000);

  it('a list of urls: connections spread over the nodes, and `url` with commas is a list too', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const transport = new AmqpTransport({ url: CLUSTER_URLS.join(','), logger: quiet });
      await transport.start();
      const { publish } = transport.connectedUrlsForTesting();
      expect(CLUSTER_URLS).toContain(publish);
      seen.add(publish!);
      await transport.close();
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('stopping the node the publisher and the consumer are on, mid-run: 0 confirmed messages lost, consumption resumes on another node', async () => {
    const queue = unique('cluster-failover');
    const consumer = new AmqpTransport({ urls: CLUSTER_URLS, queueType: 'quorum', reconnect: { initialDelayMs: 100, maxDelayMs: 1000 }, logger: quiet });
    await consumer.start();
    await consumer.declareQueue({ queue });
    const received = new Map<string, number>();
    await consumer.consume(
      queue,
      async (d: Delivery) => {
        received.set(d.messageId, (received.get(d.messageId) ?? 0) + 1);
        await d.ack();
      },
      { concurrency: 64 },
    );
    // The publisher on the consumer's node, so one stop cuts both.
    const node = consumer.connectedUrlsForTesting().consume!;
    const publisher = await transportOn(node);

    const confirmed = new Set<string>();
    let rejected = 0;
    let stoppedAt = 0;
    let stopDoneAt = 0;
    let stopping: Promise<void> | undefined;
    const publishing = (async () => {
      for (let i = 0; i < TOTAL; i += 500) {
        if (i === TOTAL / 4) {
          stoppedAt = Date.now();
          stopping = nodeCtl(node, 'stop_app').then(() => void (stopDoneAt = Date.now()));
        }
        // While the node is going down, keep publishing at a walk, so the stop lands mid-run.
        if (stopping !== undefined && stopDoneAt === 0) await sleep(100);
        await Promise.all(
          Array.from({ length: 500 }, (_, k) => {
            const id = `m${i + k}`;
            return publisher.publish(textMessage({ kind: 'queue', queue }, id, { messageId: id }, 'c')).then(
              () => void confirmed.add(id),
              () => void rejected++,
            );
          }),
        );
      }
    })();
    await publishing;
    await stopping;
    const resumed = Date.now();
    expect(stopDoneAt).toBeGreaterThan(0);
    await waitFor(() => [...confirmed].every((id) => received.has(id)), 60_000, 'every confirmed message to be consumed');
    const recovery = resumed - stoppedAt;
    const duplicated = [...received.values()].filter((n) => n > 1).length;
    const lost = [...confirmed].filter((id) => !received.has(id)).length;
    console.log(
      `cluster failover: attempted=${TOTAL} confirmed=${confirmed.size} rejected=${rejected} received=${received.size} duplicated=${duplicated} lost=${lost}; publisher ${node} -> ${publisher.connectedUrlsForTesting().publish}, consumer -> ${consumer.connectedUrlsForTesting().consume}; the stop took ${stopDoneAt - stoppedAt} ms, publishing finished ${recovery} ms after it began`,
    );
    expect(lost).toBe(0);
    expect(confirmed.size + rejected).toBe(TOTAL);
    expect(confirmed.size).toBeGreaterThan(TOTAL / 2);
    expect(publisher.connectedUrlsForTesting().publish).not.toBe(node);
    expect(consumer.connectedUrlsForTesting().consume).not.toBe(node);

    await nodeCtl(node, 'start_app');
    await sleep(200);
    await Promise.all([publisher.close(), consumer.close()]);
    const cleanup = new AmqpTransport({ urls: CLUSTER_URLS, logger: quiet });
    await cleanup.deleteQueue(queue).catch(() => undefined);
    await cleanup.close();
  }, 180_000);
});

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A started transport over the whole cluster whose publish connection landed on `node` (each picks its first node at random). */
async function transportOn(node: string): Promise<AmqpTransport> {
  for (let i = 0; i < 50; i++) {
    const transport = new AmqpTransport({ urls: CLUSTER_URLS, reconnect: { initialDelayMs: 100, maxDelayMs: 1000 }, logger: quiet });
    await transport.start();
    if (transport.connectedUrlsForTesting().publish === node) return transport;
    await transport.close();
  }
  throw new Error(`no transport landed on ${node} in 50 tries`);
}
