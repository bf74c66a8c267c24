// `pnpm demo` with OTEL_EXPORTER_OTLP_ENDPOINT set exports its traces and metrics over OTLP/HTTP:
// run it (embedded: in-memory transport + PGlite) against a local OTLP receiver and read what arrived.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const received: Array<{ path: string; body: string }> = [];
let receiver: Server;
let endpoint: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => receiver.close(resolve)));

describe('pnpm demo with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports the orders traces and the metrics over OTLP/HTTP, and says so instead of the summary', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, METRO_DEMO_EXIT: '1', METRO_LOG_LEVEL: 'silent' };
    delete env['METRO_AMQP_URL'];
    delete env['DATABASE_URL'];
    const demo = spawn(process.execPath, ['--import', 'tsx', 'src/demo.ts'], { cwd: fileURLToPath(new URL('..', import.meta.url)), env });
    let stdout = '';
    demo.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => demo.on('exit', resolve));
    expect(code, stdout).toBe(0);
    expect(stdout).toContain(`Traces and metrics exported over OTLP to ${endpoint}`);
    expect(stdout).not.toContain('Traces (one per order');
    const traces = received
      .filter((r) => r.path === '/v1/traces')
      .map((r) => r.body)
      .join('\n');
    const metrics = received
      .filter((r) => r.path === '/v1/metrics')
      .map((r) => r.body)
      .join('\n');
    expect(traces.match(/"POST \/orders"/g)).toHaveLength(4);
    expect(traces).toContain('"handler saga:order:orders.placed"');
    expect(traces).toContain('"handler charge-order"');
    expect(traces).toContain('"metro-shop-demo"');
    expect(metrics).toContain('messaging.client.consumed.messages');
    expect(metrics).toContain('metro.outbox.relayed');
  }, 120_000);
});
