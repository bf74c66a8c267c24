import type { ChannelModel } from 'amqplib';

/**
 * Consumes `total` messages already waiting in `queue` with raw amqplib (a new channel with
 * `prefetch`, `ack` per message) and returns the rate in msg/s from the first delivery to the last.
 */
export async function rawConsumeRate(model: ChannelModel, queue: string, total: number, prefetch: number): Promise<number> {
  const ch = await model.createChannel();
  await ch.prefetch(prefetch);
  let received = 0;
  let started = 0;
  const done = new Promise<void>((resolve) => {
    void ch.consume(queue, (m) => {
      if (!m) return;
      if (received === 0) started = performance.now();
      ch.ack(m);
      if (++received === total) resolve();
    });
  });
  await done;
  const rate = (total - 1) / ((performance.now() - started) / 1000);
  await ch.close();
  return rate;
}
