import { randomBytes } from 'node:crypto';
import type { Delivery } from '@metro/core';
import type { AmqpTransport } from '@metro/transport-amqp';
import { sleep } from '@metro/test-support';
import { deleteClusterQueues, restartStoppedNodes } from './cluster.js';
import type { Ledger } from './ledger.js';

/** What one test opened on the cluster: `cleanup()` closes its transports, starts the nodes it stopped and deletes its queues. */
export class ClusterScope {
  private readonly transports: AmqpTransport[] = [];
  private readonly queues: string[] = [];

  /** A unique queue name, deleted on cleanup. */
  queue(label: string): string {
    const queue = `cluster-${label}-${randomBytes(4).toString('hex')}`;
    this.queues.push(queue);
    return queue;
  }

  /** Closes `transport` on cleanup; returns it. */
  track<T extends AmqpTransport>(transport: T): T {
    this.transports.push(transport);
    return transport;
  }

  async cleanup(): Promise<void> {
    for (const t of this.transports.splice(0)) await t.close();
    await restartStoppedNodes();
    await deleteClusterQueues(...this.queues.splice(0));
  }
}

/** Consumes `queue` on `transport` into `ledger`, acking each; `workMs`: how long each handler takes. */
export async function consumeInto(transport: AmqpTransport, queue: string, ledger: Ledger, workMs = 0, concurrency = 64): Promise<void> {
  await transport.consume(
    queue,
    async (d: Delivery) => {
      if (workMs > 0) await sleep(workMs);
      ledger.receive(d.messageId);
      await d.ack();
    },
    { concurrency },
  );
}
