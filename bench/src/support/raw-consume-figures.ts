import type { ChannelModel } from 'amqplib';
import { startTiming, type RunFigures, type Timing } from './run-figures.js';

/**
 * Consumes `total` messages already waiting in `queue` with raw amqplib (a new channel with
 * `prefetch`, `ack` per message) and returns the rate in msg/s and the Node CPU per message, both
 * measured from the first delivery to the last.
 */
export async function rawConsumeFigures(model: ChannelModel, queue: string, total: number, prefetch: number): Promise<RunFigures> {
  const ch = await model.createChannel();
  await ch.prefetch(prefetch);
  let received = 0;
  let timing: Timing | undefined;
  const done = new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (!m) return;
      if (received === 0) timing = startTiming();
      ch.ack(m);
      if (++received === total) resolve();
    });
  });
  await done;
  const figures = timing!.stop(total - 1);
  await ch.close();
  return figures;
}
