import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { installTelemetry, parentOf } from '@metro/test-support/telemetry';
import { InMemoryTransport, silentLogger, type Transport } from '@metro/core';
import { AmqpTransport } from '@metro/transport-amqp';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRestClient, createRpc, defineProcedure, RemoteError } from '../src/index.js';
import { AMQP_URL } from './amqp-helpers.js';

const otel = installTelemetry();
const received: Array<string | undefined> = [];
let http: Server;
let baseUrl: string;

beforeAll(async () => {
  http = createServer((req, res) => {
    received.push(req.headers.traceparent as string | undefined);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"credit":10}');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
  await otel.shutdown();
});

function spanOf(name: string, kind: SpanKind, traceId?: string): ReadableSpan {
  const found = otel.spans().filter((s) => s.name === name && s.kind === kind && (traceId === undefined || s.spanContext().traceId === traceId));
  expect(
    found,
    `${name} among ${otel
      .spans()
      .map((s) => s.name)
      .join(', ')}`,
  ).toHaveLength(1);
  return found[0]!;
}

describe.each([
  ['memory', () => new InMemoryTransport({ logger: silentLogger }) as Transport],
  ['RabbitMQ', () => new AmqpTransport({ url: AMQP_URL, logger: silentLogger }) as Transport],
])('RPC telemetry on %s', (_name, makeTransport) => {
  it('client span -> server span (one trace, RPC attributes); the REST call inside carries the server span; failures are errors; calls are timed', async () => {
    const suffix = randomBytes(4).toString('hex');
    const GetCredit = defineProcedure({ name: `credit.get.${suffix}`, input: z.object({ customer: z.string() }), output: z.object({ credit: z.number() }) });
    const serverTransport = makeTransport();
    const clientTransport = makeTransport() as Transport;
    const server = createRpc({ transport: serverTransport, service: 'billing', logger: silentLogger });
    const client = createRpc({
      transport: clientTransport instanceof InMemoryTransport ? serverTransport : clientTransport,
      service: 'orders',
      logger: silentLogger,
    });
    const rest = createRestClient({ baseUrl, logger: silentLogger });
    await server.serve(GetCredit, async ({ customer }) => {
      if (customer === 'nobody') throw new Error('unknown customer');
      return rest.get<{ credit: number }>('/credit');
    });
    try {
      const tracer = otel.tracerProvider.getTracer('test');
      const before = received.length;
      const traceId = await tracer.startActiveSpan('handler orders.placed#0', async (span) => {
        await expect(client.call(GetCredit, { customer: 'c-1' })).resolves.toEqual({ credit: 10 });
        await expect(client.call(GetCredit, { customer: 'nobody' })).rejects.toBeInstanceOf(RemoteError);
        span.end();
        return span.spanContext().traceId;
      });
      const outer = spanOf('handler orders.placed#0', SpanKind.INTERNAL, traceId);
      const clients = otel.spans().filter((s) => s.name === GetCredit.name && s.kind === SpanKind.CLIENT && s.spanContext().traceId === traceId);
      const servers = otel.spans().filter((s) => s.name === GetCredit.name && s.kind === SpanKind.SERVER && s.spanContext().traceId === traceId);
      expect(clients).toHaveLength(2);
      expect(servers).toHaveLength(2);
      for (const c of clients) expect(parentOf(c)).toBe(outer.spanContext().spanId);
      const [ok, failed] = clients.sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]) as [ReadableSpan, ReadableSpan];
      const okServer = servers.find((s) => parentOf(s) === ok.spanContext().spanId)!;
      const failedServer = servers.find((s) => parentOf(s) === failed.spanContext().spanId)!;
      expect(ok.attributes).toMatchObject({ 'rpc.system': 'metro', 'rpc.method': GetCredit.name });
      expect(ok.status.code).not.toBe(SpanStatusCode.ERROR);
      expect(failed.status.code).toBe(SpanStatusCode.ERROR);
      expect(failedServer.status.code).toBe(SpanStatusCode.ERROR);
      expect(failedServer.status.message).toBe('unknown customer');
      expect(received.slice(before)).toEqual([`00-${traceId}-${okServer.spanContext().spanId}-01`]);
      expect(await otel.metricSum('rpc.client.call.duration', { 'rpc.method': GetCredit.name, 'metro.outcome': 'ok' })).toBe(1);
      expect(await otel.metricSum('rpc.client.call.duration', { 'rpc.method': GetCredit.name, 'metro.outcome': 'error' })).toBe(1);
    } finally {
      await client.stop();
      await server.stop();
      await clientTransport.close();
      await serverTransport.close();
    }
  });
});
