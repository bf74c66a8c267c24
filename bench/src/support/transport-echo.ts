// The RPC benches' "transport alone" side (no rpc layer), to show where the time goes: the
// transport's request to a consumer that echoes it through delivery.reply. Used by rpc.bench.ts and
// support/rpc-profile.ts.
import type { Transport } from '@metro/core';
import type { Caller } from './alternated-blocks.js';

/** The echoed request's body: the size of an rpc request of the benches' echo procedure. */
export const ECHO_BODY = Buffer.from(JSON.stringify({ input: { i: 1 }, deadline: Date.now() }));

/**
 * Declares `queue` (temporary) and replies to every request on it with its own body, 64 at a time.
 *
 * @example
 * ```ts
 * await serveEcho(serverTransport, `bench-transport-echo-${suffix}`);
 * ```
 */
export async function serveEcho(transport: Transport, queue: string): Promise<void> {
  await transport.declareQueue({ queue, temporary: true });
  await transport.consume(
    queue,
    async (delivery) => {
      void delivery.reply?.({ body: delivery.body, contentType: 'application/json', headers: {} });
      await delivery.ack();
    },
    { concurrency: 64 },
  );
}

/**
 * A caller that sends {@link ECHO_BODY} to `queue` with the transport's request (timeout 30 s).
 *
 * @example
 * ```ts
 * const transportCall = echoCaller(clientTransport, echoQueue);
 * await transportCall(1);
 * ```
 */
export function echoCaller(transport: Transport, queue: string): Caller {
  return (i) =>
    transport.request(
      { destination: { kind: 'queue', queue }, body: ECHO_BODY, messageId: `m${i}`, contentType: 'application/json', headers: {} },
      { timeoutMs: 30_000 },
    );
}
