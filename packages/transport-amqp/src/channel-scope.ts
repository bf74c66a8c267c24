import type { Channel, ChannelModel } from 'amqplib';

/** The AMQP reply code of a channel/connection error, when the broker sent one (404 NOT_FOUND, 406 PRECONDITION_FAILED, ...). */
export function amqpCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * Runs `work` on a throwaway channel and closes it. A broker error (a 404 on a passive check, a 406
 * on a conflicting declaration) closes only this channel; its `'error'` event is swallowed here and
 * the failing operation's promise rejects with it.
 */
export async function withThrowawayChannel<T>(model: ChannelModel, work: (channel: Channel) => Promise<T>): Promise<T> {
  const channel = await model.createChannel();
  channel.on('error', () => undefined);
  try {
    return await work(channel);
  } finally {
    await channel.close().catch(() => undefined);
  }
}
