import type { Transport } from '@metro/core';

/** One queue's figures, with rates computed from the previous sample. */
export interface QueueSample {
  readonly queue: string;
  /** `false` when the queue does not exist on the broker. */
  readonly exists: boolean;
  /** Messages ready for delivery. */
  readonly depth: number;
  readonly consumers: number;
  /**
   * Change of depth per second since the previous sample (positive: the queue grows, consumers
   * fall behind; negative: it drains). `null` on the first sample.
   */
  readonly depthRatePerSec: number | null;
  readonly at: string;
}

/**
 * Samples queue depth and consumer counts through `transport.inspectQueue` (passive declares: no
 * management plugin needed) and derives rates from successive samples.
 */
export class QueueSampler {
  readonly #previous = new Map<string, { depth: number; at: number }>();
  readonly #history = new Map<string, QueueSample[]>();

  constructor(
    private readonly transport: Transport | undefined,
    private readonly queues: ReadonlyArray<string>,
    private readonly historySize = 120,
  ) {}

  get configured(): boolean {
    return this.transport !== undefined && this.queues.length > 0;
  }

  names(): string[] {
    return [...this.queues];
  }

  async sample(now = Date.now()): Promise<QueueSample[]> {
    const transport = this.transport;
    if (!transport) return [];
    return Promise.all(
      this.queues.map(async (queue) => {
        const stats = await transport.inspectQueue(queue);
        const depth = stats?.messages ?? 0;
        const previous = this.#previous.get(queue);
        const elapsed = previous ? (now - previous.at) / 1000 : 0;
        const rate = previous && elapsed > 0 ? Math.round(((depth - previous.depth) / elapsed) * 100) / 100 : null;
        this.#previous.set(queue, { depth, at: now });
        const sample: QueueSample = {
          queue,
          exists: stats !== undefined,
          depth,
          consumers: stats?.consumers ?? 0,
          depthRatePerSec: rate,
          at: new Date(now).toISOString(),
        };
        const history = this.#history.get(queue) ?? [];
        history.push(sample);
        if (history.length > this.historySize) history.shift();
        this.#history.set(queue, history);
        return sample;
      }),
    );
  }

  history(queue: string): QueueSample[] {
    return [...(this.#history.get(queue) ?? [])];
  }
}
