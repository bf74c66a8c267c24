import type { ConfirmChannel } from 'amqplib';

/**
 * Publishes `total` persistent copies of `body` into `queue` on a raw confirm channel, 1,000 per
 * `waitForConfirms`: the backlog a consume benchmark then drains.
 */
export async function fillQueue(ch: ConfirmChannel, queue: string, body: Buffer, total: number): Promise<void> {
  for (let sent = 0; sent < total; sent += 1000) {
    for (let i = 0; i < 1000; i++) ch.sendToQueue(queue, body, { persistent: true, messageId: `f${sent + i}`, contentType: 'application/json' });
    await ch.waitForConfirms();
  }
}
