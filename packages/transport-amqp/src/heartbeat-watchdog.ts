import type { ChannelModel } from 'amqplib';

interface SocketLike {
  readonly bytesRead: number;
  destroy(error?: Error): void;
}

/**
 * Detects a dead TCP connection within two heartbeat intervals. amqplib's own check samples once
 * per interval and needs two empty samples, so it notices only after 2 to 3 intervals; this
 * watchdog polls the socket's `bytesRead` every quarter interval (RabbitMQ sends a heartbeat every
 * half interval on an idle connection) and destroys the socket once nothing arrived for 1.5
 * intervals, which amqplib then reports as a lost connection. Returns a function that stops it.
 */
export function watchHeartbeat(model: ChannelModel, heartbeatSeconds: number, onDead: () => void): () => void {
  const socket = (model as unknown as { connection?: { stream?: SocketLike } }).connection?.stream;
  if (!socket || typeof socket.bytesRead !== 'number' || heartbeatSeconds <= 0) return () => undefined;
  const intervalMs = heartbeatSeconds * 1000;
  let lastBytes = socket.bytesRead;
  let lastChange = Date.now();
  const timer = setInterval(
    () => {
      const bytes = socket.bytesRead;
      const now = Date.now();
      if (bytes !== lastBytes) {
        lastBytes = bytes;
        lastChange = now;
      } else if (now - lastChange >= intervalMs * 1.5) {
        clearInterval(timer);
        onDead();
        socket.destroy(new Error(`No data from RabbitMQ for ${now - lastChange} ms (heartbeat ${heartbeatSeconds} s): connection considered dead`));
      }
    },
    Math.max(50, intervalMs / 4),
  );
  timer.unref();
  return () => clearInterval(timer);
}
