import { randomBytes } from 'node:crypto';
import type { AmqpTransport } from '@metro/transport-amqp';

export const AMQP_URL = process.env.METRO_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** A unique queue / exchange / service name for this test file. */
export function unique(label: string): string {
  return `saga_${label}_${randomBytes(4).toString('hex')}`;
}

/** Deletes the queues (with their `.expired` companions) and exchanges a test declared, through the transport's publish connection. */
export async function deleteTopology(transport: AmqpTransport, names: { queues?: string[]; exchanges?: string[] }): Promise<void> {
  const model = transport.connectionsForTesting().publish;
  if (!model) return;
  for (const queue of (names.queues ?? []).flatMap((q) => [q, `${q}.expired`])) {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }
  for (const exchange of names.exchanges ?? []) {
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    await channel.deleteExchange(exchange).catch(() => undefined);
    await channel.close().catch(() => undefined);
  }
}
