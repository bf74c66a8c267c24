import amqp from 'amqplib';

/**
 * Deletes the named exchanges: a bench bus's topic exchanges, which Metro declares on first use and
 * never deletes (a bench that deleted only its queues left one empty exchange per run on the broker).
 *
 * @example
 * ```ts
 * await deleteExchanges(URL, [topic]);
 * ```
 */
export async function deleteExchanges(url: string, names: readonly string[]): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    for (const name of names) await channel.deleteExchange(name);
  } finally {
    await connection.close();
  }
}
