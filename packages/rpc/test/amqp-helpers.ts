// Helpers of the RabbitMQ tests: queue cleanup and a TCP proxy the test can cut.
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
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

/** A TCP proxy to the broker: `cut()` destroys every connection through it (new ones are accepted again). */
export interface Proxy {
  readonly url: string;
  readonly connections: number;
  cut(): void;
  close(): Promise<void>;
}

export async function startProxy(): Promise<Proxy> {
  const target = new URL(AMQP_URL);
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect(Number(target.port || 5672), target.hostname);
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const url = new URL(AMQP_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    get connections() {
      return connections;
    },
    cut() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
