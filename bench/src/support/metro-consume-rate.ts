import type { Transport } from '@metro/core';

/**
 * Consumes `total` messages already waiting in `queue` through a Metro transport, acking each,
 * and returns the rate in msg/s measured from the first delivery to the last.
 */
export async function metroConsumeRate(transport: Transport, queue: string, total: number, prefetch: number): Promise<number> {
  let received = 0;
  let started = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const consumer = await transport.consume(
    queue,
    async (d) => {
      if (received === 0) started = performance.now();
      await d.ack();
      if (++received === total) resolve();
    },
    { prefetch, concurrency: prefetch },
  );
  await done;
  const rate = (total - 1) / ((performance.now() - started) / 1000);
  await consumer.cancel();
  return rate;
}
