// The RPC benches' baseline: a hand-written direct reply-to client and server on raw amqplib, both
// with TCP_NODELAY. Used by rpc.bench.ts and by support/rpc-profile.ts, so the profile measures
// against the same baseline the bench reports.
import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import type { Caller } from './alternated-blocks.js';

const REPLY_TO = 'amq.rabbitmq.reply-to';

/** A running raw RPC pair: `call(i)` sends `{ input: { i } }` and resolves with the decoded reply. */
export interface RawRpc {
  readonly call: Caller;
  close(): Promise<void>;
}

/** How the raw baseline is laid out; see {@link rawRpc}. */
export interface RawRpcOptions {
  /**
   * `full` (default): requests carry what Metro's do on the wire (mandatory, a message id, a
   * timestamp and an expiration). `thin`: a correlation id and reply-to only, as most amqplib RPC
   * examples send.
   */
  readonly requests?: 'full' | 'thin';
  /**
   * `own-connection` (default): the server publishes its replies on a connection of its own and
   * acks on its consuming one, as Metro's transport does (RabbitMQ's advice: a connection that
   * publishes can be blocked by a resource alarm, and a consumer's acks must not wait on that).
   * `consuming-channel`: replies and acks on the one channel the requests arrive on, as most
   * amqplib RPC examples do (one connection for the server; at concurrency 1 about 10-20% more
   * calls/s on the 2-core bench machines, as the broker has one socket less to read per call).
   */
  readonly replies?: 'own-connection' | 'consuming-channel';
}

/**
 * Starts the raw baseline on `queue` (declared non-durable, auto-deleted): a hand-written direct
 * reply-to client and server on raw amqplib, laid out as `options` says.
 *
 * @example
 * ```ts
 * const raw = await rawRpc(url, `bench-raw-rpc-${suffix}`);
 * await raw.call(1);
 * await raw.close();
 * ```
 */
export async function rawRpc(url: string, queue: string, options: RawRpcOptions = {}): Promise<RawRpc> {
  const thin = options.requests === 'thin';
  const serverConn = await amqp.connect(url, { noDelay: true });
  const replyConn = options.replies === 'consuming-channel' ? undefined : await amqp.connect(url, { noDelay: true });
  const clientConn = await amqp.connect(url, { noDelay: true });
  const serverCh = await serverConn.createChannel();
  const replyCh = replyConn ? await replyConn.createChannel() : serverCh;
  await serverCh.assertQueue(queue, { durable: false, autoDelete: true });
  await serverCh.prefetch(128);
  await serverCh.consume(queue, (msg) => {
    if (!msg) return;
    const request = JSON.parse(msg.content.toString()) as { input: { i: number } };
    const reply = Buffer.from(JSON.stringify({ status: 'success', data: { i: request.input.i, ok: true } }));
    replyCh.sendToQueue(msg.properties.replyTo as string, reply, { correlationId: msg.properties.correlationId as string, contentType: 'application/json' });
    serverCh.ack(msg);
  });
  const clientCh = await clientConn.createChannel();
  const pending = new Map<string, (body: Buffer) => void>();
  await clientCh.consume(
    REPLY_TO,
    (msg) => {
      if (!msg) return;
      const resolve = pending.get(msg.properties.correlationId as string);
      if (resolve) {
        pending.delete(msg.properties.correlationId as string);
        resolve(msg.content);
      }
    },
    { noAck: true },
  );
  const call = (i: number): Promise<unknown> =>
    new Promise((resolve) => {
      const id = randomUUID();
      pending.set(id, (body) => resolve(JSON.parse(body.toString())));
      const now = Date.now();
      // What Metro's requests carry besides: mandatory (a request nobody can receive comes back at
      // once), a message id, a timestamp and an expiration (the broker drops a request its caller
      // gave up on). They cost the broker, not the client library, so the baseline sends them too.
      const body = Buffer.from(JSON.stringify({ input: { i }, deadline: now + 30_000 }));
      if (thin) {
        clientCh.sendToQueue(queue, body, { correlationId: id, replyTo: REPLY_TO, contentType: 'application/json' });
        return;
      }
      clientCh.sendToQueue(queue, body, {
        correlationId: id,
        replyTo: REPLY_TO,
        contentType: 'application/json',
        mandatory: true,
        messageId: id,
        timestamp: now,
        expiration: '30000',
      });
    });
  return {
    call,
    close: async () => {
      await clientConn.close();
      await replyConn?.close();
      await serverConn.close();
    },
  };
}
