import type { Transport } from '@metro/core';
import { startTiming, type RunFigures, type Timing } from './run-figures.js';

/**
 * Consumes `total` messages already waiting in `queue` through a Metro transport, acking each, and
 * returns the rate in msg/s and the Node CPU per message, both measured from the first delivery to
 * the last.
 */
export async function metroConsumeFigures(transport: Transport, queue: string, total: number, prefetch: number): Promise<RunFigures> {
  let received = 0;
  let timing: Timing | undefined;
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const consumer = await transport.consume(
    queue,
    async (d) => {
      if (received === 0) timing = startTiming();
      await d.ack();
      if (++received === total) resolve();
    },
    { prefetch, concurrency: prefetch },
  );
  await done;
  const figures = timing!.stop(total - 1);
  await consumer.cancel();
  return figures;
}
