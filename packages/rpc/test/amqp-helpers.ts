// Helpers of the RabbitMQ tests: queue cleanup (the TCP proxy lives in @metro/test-support).
import amqp from 'amqplib';

export const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Deletes queues (the durable `rpc.*` queues a test declared). */
export async function deleteQueues(queues: string[]): Promise<void> {
  const connection = await amqp.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    await channel.close();
  } finally {
    await connection.close();
  }
}
