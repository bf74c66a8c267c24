import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PublishError, type OutgoingMessage } from '@metro/core';
import { AmqpTransport } from '../src/index.js';
import { AMQP_URL, RawBroker, sleep, unique, waitFor } from './support/broker.js';
import { TcpProxy } from '@metro/test-support';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');
const enc = new TextEncoder();

const queues: string[] = [];
let broker: RawBroker;
const opened: Array<{ close(): Promise<void> }> = [];

function newestMtime(dir: string): number {
  let newest = 0;
  for (const f of readdirSync(dir)) newest = Math.max(newest, statSync(join(dir, f)).mtimeMs);
  return newest;
}

beforeAll(async () => {
  broker = await RawBroker.connect();
  // The child process runs the built package: rebuild it when the sources are newer.
  const dist = join(packageDir, 'dist', 'index.js');
  if (!existsSync(dist) || statSync(dist).mtimeMs < newestMtime(join(packageDir, 'src'))) {
    execFileSync(process.execPath, [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', join(packageDir, 'tsconfig.build.json')], {
      stdio: 'inherit',
    });
  }
}, 60_000);

afterAll(async () => {
  for (const o of opened) await o.close();
  await broker.deleteQueues(...queues);
  await broker.close();
});

function report(title: string, counts: Record<string, number>): void {
  console.log(
    `${title}: ${Object.entries(counts)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
}

/** Reads every message left in `queue` through a direct (unproxied) connection. */
async function drain(queue: string, expectAtLeast: number): Promise<string[]> {
  const ids: string[] = [];
  const ch = await broker.scratch();
  await ch.prefetch(1000);
  const { consumerTag } = await ch.consume(queue, (m) => {
    if (!m) return;
    ids.push(String(m.properties.messageId));
    ch.ack(m);
  });
  await waitFor(async () => ids.length >= expectAtLeast, 30_000, `${expectAtLeast} messages drained`);
  await sleep(300);
  await ch.cancel(consumerTag);
  await ch.close();
  return ids;
}

describe('faults through a TCP proxy', () => {
  it('a message the broker nacks (a full reject-publish queue) rejects with PublishError details.nacked', async () => {
    const queue = unique('faults-nack');
    queues.push(queue);
    await broker.channel.assertQueue(queue, { durable: true, arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' } });
    const t = new AmqpTransport({ url: AMQP_URL });
    opened.push(t);
    const message = (id: string): OutgoingMessage => ({
      destination: { kind: 'queue', queue },
      body: enc.encode(id),
      messageId: id,
      contentType: 'text/plain',
      headers: {},
    });
    await t.publish(message('fits'));
    const refused = await t.publish(message('refused')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(PublishError);
    expect((refused as PublishError).details).toMatchObject({ nacked: true });
    expect((refused as PublishError).message).toMatch(/refused .*\(nack\)/);
    expect(await drain(queue, 1)).toEqual(['fits']);
  });

  it('publishing 20,000 messages while every connection is cut twice loses no confirmed message', async () => {
    const proxy = await TcpProxy.start();
    const transport = new AmqpTransport({ url: proxy.url(), reconnect: { initialDelayMs: 50, maxDelayMs: 400 }, publishTimeoutMs: 20_000 });
    opened.push(transport, proxy);
    const queue = unique('pub-cut');
    queues.push(queue);
    await transport.declareQueue({ queue });
    const total = 20_000;
    const body = enc.encode('x'.repeat(256));
    const confirmed: string[] = [];
    let rejected = 0;
    let otherErrors = 0;
    for (let start = 0; start < total; start += 1000) {
      const batch = Array.from({ length: 1000 }, (_, i) => {
        const id = `p-${start + i}`;
        const m: OutgoingMessage = { destination: { kind: 'queue', queue }, body, messageId: id, contentType: 'text/plain', headers: {} };
        return transport.publish(m).then(
          () => void confirmed.push(id),
          (err: unknown) => {
            if (err instanceof PublishError) rejected++;
            else otherErrors++;
          },
        );
      });
      if (start === 5000) proxy.cut(); // right after writing: none of this batch confirmed yet
      if (start === 13_000) {
        // mid-confirm: part of the batch is confirmed, the rest is in flight
        const before = confirmed.length;
        await waitFor(() => confirmed.length >= before + 200, 10_000, 'part of the batch confirmed');
        proxy.cut();
      }
      await Promise.all(batch);
    }
    const ids = await drain(queue, confirmed.length);
    const received = new Set(ids);
    const lost = confirmed.filter((id) => !received.has(id)).length;
    report('publish 20k with 2 cuts', {
      sent: total,
      confirmed: confirmed.length,
      rejected,
      received: received.size,
      duplicated: ids.length - received.size,
      lost,
    });
    expect(otherErrors).toBe(0);
    expect(confirmed.length + rejected).toBe(total); // every publish settled
    expect(rejected).toBeGreaterThan(0); // the cuts did hit publishes in flight
    expect(lost).toBe(0);
    expect(proxy.accepted).toBeGreaterThanOrEqual(6); // 2 connections x (1 + 2 reconnects)
  }, 90_000);

  it('consuming 20,000 messages while every connection is cut twice loses none', async () => {
    const queue = unique('con-cut');
    queues.push(queue);
    const total = 20_000;
    const setup = await broker.model.createConfirmChannel();
    await setup.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'classic' } });
    const payload = Buffer.alloc(256, 'y');
    for (let i = 0; i < total; i++) setup.sendToQueue(queue, payload, { messageId: `c-${i}`, persistent: true });
    await setup.waitForConfirms();
    await setup.close();

    const proxy = await TcpProxy.start();
    const transport = new AmqpTransport({ url: proxy.url(), reconnect: { initialDelayMs: 50, maxDelayMs: 400 } });
    opened.push(transport, proxy);
    await transport.declareQueue({ queue });
    const seen = new Map<string, number>();
    let deliveries = 0;
    let cuts = 0;
    await transport.consume(
      queue,
      async (d) => {
        deliveries++;
        seen.set(d.messageId, (seen.get(d.messageId) ?? 0) + 1);
        if ((deliveries === 5000 || deliveries === 12_000) && cuts < 2) {
          cuts++;
          proxy.cut();
        }
        await d.ack();
      },
      { concurrency: 16, prefetch: 64 },
    );
    await waitFor(
      async () => seen.size >= total && (await broker.scratch().then((ch) => ch.checkQueue(queue))).messageCount === 0,
      60_000,
      'every message consumed',
    );
    await sleep(300);
    const lost = total - seen.size;
    report('consume 20k with 2 cuts', {
      sent: total,
      received: seen.size,
      deliveries,
      duplicated: deliveries - seen.size,
      lost,
    });
    expect(cuts).toBe(2);
    expect(lost).toBe(0);
  }, 90_000);

  it('a consumer process killed with SIGKILL mid-handler loses nothing: its unacked messages are redelivered', async () => {
    const queue = unique('sigkill');
    queues.push(queue);
    const total = 200;
    const child = spawn(process.execPath, [join(here, 'support', 'consumer-child.mjs'), AMQP_URL, queue, '30'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const started = new Set<string>();
    const ackedInChild = new Set<string>();
    let buffer = '';
    let ready = false;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'ready') ready = true;
        else if (line.startsWith('start ')) started.add(line.slice(6));
        else if (line.startsWith('acked ')) ackedInChild.add(line.slice(6));
      }
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await waitFor(() => ready, 20_000, 'the child consumer');
      const publisher = new AmqpTransport({ url: AMQP_URL });
      opened.push(publisher);
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          publisher.publish({ destination: { kind: 'queue', queue }, body: enc.encode(`k${i}`), messageId: `k-${i}`, contentType: 'text/plain', headers: {} }),
        ),
      );
      await waitFor(() => ackedInChild.size >= total / 4, 20_000, 'the child to be busy');
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      const inFlightAtKill = [...started].filter((id) => !ackedInChild.has(id)).length;
      const rest: string[] = [];
      const survivor = await publisher.consume(queue, async (d) => {
        rest.push(d.messageId);
        await d.ack();
      });
      let last = '';
      await waitFor(
        async () => {
          const all = new Set([...ackedInChild, ...rest]);
          const stats = await publisher.inspectQueue(queue);
          last = `union=${all.size} child=${ackedInChild.size} after=${rest.length} queue=${JSON.stringify(stats)}`;
          return all.size >= total && stats?.messages === 0;
        },
        30_000,
        'every message handled once somewhere',
      ).catch((err: Error) => {
        throw new Error(`${err.message}: ${last}`);
      });
      await survivor.cancel();
      const handled = [...ackedInChild, ...rest];
      const unique = new Set(handled);
      report('SIGKILL consumer mid-handler', {
        sent: total,
        ackedByChild: ackedInChild.size,
        inFlightAtKill,
        receivedAfter: rest.length,
        duplicated: handled.length - unique.size,
        lost: total - unique.size,
      });
      expect(inFlightAtKill).toBeGreaterThan(0);
      expect(unique.size).toBe(total);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
