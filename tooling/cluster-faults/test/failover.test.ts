// AmqpTransport on a real 3-node RabbitMQ cluster (tooling/rabbitmq-cluster/cluster.sh, next to
// the default node, which it never touches), quorum queues: the node a client is on, or the node
// that leads the queue, stops under load; counts, not assumptions.
import { afterEach, describe, expect, it } from 'vitest';
import { AmqpTransport } from '@metro/transport-amqp';
import { sleep, waitFor } from '@metro/test-support';
import { CLUSTER_URLS, quiet, quorumLeader, stopNode, transportOn } from './support/cluster.js';
import { Ledger } from './support/ledger.js';
import { queueMessage } from './support/messages.js';
import { ClusterScope, consumeInto } from './support/scope.js';

const TOTAL = 20_000;
const BATCH = 500;
const reconnect = { initialDelayMs: 100, maxDelayMs: 1000 };
const scope = new ClusterScope();
afterEach(() => scope.cleanup(), 120_000);

describe('AmqpTransport on a 3-node cluster', () => {
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

  it('stopping the node the publisher and the consumer are on during 20,000 confirmed publishes: 0 confirmed messages lost', async () => {
    const queue = scope.queue('publish-stop');
    const node = CLUSTER_URLS[Math.floor(Math.random() * 3)]!;
    const client = scope.track(await transportOn(node, 'both', { queueType: 'quorum', reconnect }));
    await client.declareQueue({ queue });
    const ledger = new Ledger();
    await consumeInto(client, queue, ledger);
    let stoppedAt = 0;
    let stopDoneAt = 0;
    let stopping: Promise<void> | undefined;
    for (let i = 0; i < TOTAL; i += BATCH) {
      if (i === TOTAL / 4) {
        stoppedAt = Date.now();
        stopping = stopNode(node).then(() => void (stopDoneAt = Date.now()));
      }
      // While the node is going down, keep publishing at a walk, so the stop lands mid-run.
      if (stopping !== undefined && stopDoneAt === 0) await sleep(100);
      await Promise.all(Array.from({ length: BATCH }, (_, k) => ledger.publish(`m${i + k}`, () => client.publish(queueMessage(queue, `m${i + k}`)))));
    }
    await stopping;
    const published = Date.now();
    await waitFor(() => ledger.allReceived(), 60_000, 'every confirmed message to be consumed');
    ledger.report(
      'stop the client node during publishes',
      `${node} -> publish ${client.connectedUrlsForTesting().publish}, consume ${client.connectedUrlsForTesting().consume}; the stop took ${stopDoneAt - stoppedAt} ms, publishing ended ${published - stoppedAt} ms after it began, consumption stalled at most ${ledger.longestGapAfter(stoppedAt)} ms`,
    );
    expect(ledger.lost).toBe(0);
    expect(ledger.confirmed.size + ledger.rejected).toBe(TOTAL);
    expect(ledger.confirmed.size).toBeGreaterThan(TOTAL / 2);
    expect(client.connectedUrlsForTesting().publish).not.toBe(node);
    expect(client.connectedUrlsForTesting().consume).not.toBe(node);
  });

  it('stopping the node the consumer is on during 20,000 consumes: 0 lost, consumption resumes on another node', async () => {
    const queue = scope.queue('consume-stop');
    const node = CLUSTER_URLS[Math.floor(Math.random() * 3)]!;
    const publisher = scope.track(new AmqpTransport({ urls: CLUSTER_URLS.filter((u) => u !== node), queueType: 'quorum', logger: quiet }));
    await publisher.declareQueue({ queue });
    const ledger = new Ledger();
    for (let i = 0; i < TOTAL; i += 2000) {
      await Promise.all(Array.from({ length: 2000 }, (_, k) => ledger.publish(`m${i + k}`, () => publisher.publish(queueMessage(queue, `m${i + k}`)))));
    }
    const consumer = scope.track(await transportOn(node, 'consume', { queueType: 'quorum', reconnect }));
    await consumer.declareQueue({ queue });
    // About 2,000 a second (16 handlers of 8 ms), so most of the 20,000 are still queued when the node stops.
    await consumeInto(consumer, queue, ledger, 8, 16);
    await waitFor(() => ledger.received.size >= TOTAL / 4, 60_000, 'a quarter consumed');
    const stoppedAt = Date.now();
    await stopNode(node);
    const stopDoneAt = Date.now();
    const receivedWhileStopping = ledger.received.size;
    await waitFor(() => ledger.allReceived(), 60_000, 'every message to be consumed');
    const resumed = ledger.firstReceivedAfter(stopDoneAt);
    const stall = ledger.longestGapAfter(stoppedAt);
    ledger.report(
      'stop the consumer node during consumes',
      `consumer ${node} -> ${consumer.connectedUrlsForTesting().consume}; ${TOTAL - receivedWhileStopping} still queued when the node was down; the stop took ${stopDoneAt - stoppedAt} ms; consumption stalled at most ${stall} ms${resumed === undefined ? '' : `, resumed ${resumed - stopDoneAt} ms after the node was down`}; drained ${Date.now() - stoppedAt} ms after the stop began`,
    );
    expect(ledger.confirmed.size).toBe(TOTAL);
    expect(ledger.lost).toBe(0);
    expect(receivedWhileStopping).toBeLessThan(TOTAL);
    expect(CLUSTER_URLS.filter((u) => u !== node)).toContain(consumer.connectedUrlsForTesting().consume);
    expect(stall).toBeLessThan(30_000); // reconnect backoff (max 1 s here) plus re-declaring and re-attaching, on a busy 2-core machine
  });

  it('stopping the node that leads the quorum queue during publish + consume of 20,000: 0 lost, a new leader takes over', async () => {
    const queue = scope.queue('leader-stop');
    const setup = scope.track(new AmqpTransport({ urls: CLUSTER_URLS, queueType: 'quorum', logger: quiet }));
    await setup.declareQueue({ queue });
    const leader = await quorumLeader(queue);
    // The client on another node, so only the queue's leader goes away, not the client's connection.
    const clientNode = CLUSTER_URLS.find((u) => u !== leader)!;
    const client = scope.track(await transportOn(clientNode, 'both', { queueType: 'quorum', reconnect }));
    await client.declareQueue({ queue });
    const ledger = new Ledger();
    await consumeInto(client, queue, ledger);
    let stoppedAt = 0;
    let stopping: Promise<void> | undefined;
    for (let i = 0; i < TOTAL; i += BATCH) {
      if (i === TOTAL / 4) {
        stoppedAt = Date.now();
        stopping = stopNode(leader);
      }
      await Promise.all(Array.from({ length: BATCH }, (_, k) => ledger.publish(`m${i + k}`, () => client.publish(queueMessage(queue, `m${i + k}`)))));
    }
    await stopping;
    const stopDoneAt = Date.now();
    await waitFor(() => ledger.allReceived(), 60_000, 'every confirmed message to be consumed');
    const newLeader = await quorumLeader(queue, clientNode);
    ledger.report(
      'stop the quorum leader during publish + consume',
      `leader ${leader} -> ${newLeader}, client on ${clientNode}; the stop took ${stopDoneAt - stoppedAt} ms; consumption stalled at most ${ledger.longestGapAfter(stoppedAt)} ms`,
    );
    expect(ledger.lost).toBe(0);
    expect(ledger.confirmed.size + ledger.rejected).toBe(TOTAL);
    expect(ledger.confirmed.size).toBeGreaterThan(TOTAL / 2);
    expect(newLeader).not.toBe(leader);
    expect(ledger.longestGapAfter(stoppedAt)).toBeLessThan(30_000);
  });
});
