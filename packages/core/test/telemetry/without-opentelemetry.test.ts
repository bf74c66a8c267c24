import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createMetro, InMemoryTransport, silentLogger } from '../../src/index.js';
import { tracingEnabled, metroMetrics } from '../../src/telemetry/index.js';
import { OrderPlaced, waitUntil } from '../helpers.js';

const telemetryDist = fileURLToPath(new URL('../../dist/telemetry/index.js', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

// A child process where `@opentelemetry/api` cannot be resolved (as for a user who did not
// install the optional peer): @metro/core's built dist must load with require() and work.
const script = `
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@opentelemetry/api') { const e = new Error("Cannot find module '@opentelemetry/api'"); e.code = 'MODULE_NOT_FOUND'; throw e; }
  return resolve.call(this, request, ...rest);
};
const core = require(${JSON.stringify(dist)});
const telemetry = require(${JSON.stringify(telemetryDist)});
const { z } = require('zod');
const Ping = core.defineEvent({ topic: 'pings', type: 'ping', schema: z.object({ n: z.number() }) });
const metro = core.createMetro({ service: 'no-otel', transport: new core.InMemoryTransport({ logger: core.silentLogger }), logger: core.silentLogger });
let got = 0;
const headers = [];
metro.on(Ping, (p, ctx) => { got += p.n; headers.push(Object.keys(ctx.envelope).includes('traceparent')); });
(async () => {
  await metro.start();
  await metro.publish(Ping, { n: 2 });
  while (got === 0) await new Promise((r) => setTimeout(r, 5));
  await metro.stop();
  const apiBlocked = (() => { try { require('@opentelemetry/api'); return false; } catch { return true; } })();
  console.log(JSON.stringify({ apiBlocked, got, tracing: telemetry.tracingEnabled(), metrics: telemetry.metroMetrics() === undefined, traceparentInEnvelope: headers[0] }));
})().catch((err) => { console.error(err); process.exit(1); });
`;

describe('without OpenTelemetry', () => {
  it('@metro/core loads with require() and publishes and consumes when @opentelemetry/api is not installed', () => {
    if (!existsSync(dist)) throw new Error('Build @metro/core first (pnpm --filter @metro/core build): this test requires its dist.');
    const run = spawnSync(process.execPath, ['-e', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)), encoding: 'utf8', timeout: 20_000 });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout.trim())).toEqual({ apiBlocked: true, got: 2, tracing: false, metrics: true, traceparentInEnvelope: false });
  });

  it('with the api installed but no SDK registered, Metro makes no span, writes no trace header and has no instruments', async () => {
    expect(tracingEnabled()).toBe(false);
    expect(metroMetrics()).toBeUndefined();
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'no-sdk', transport, logger: silentLogger });
    const seen: Array<Readonly<Record<string, unknown>>> = [];
    await transport.declareQueue({ queue: 'no-sdk-tap', bindings: [{ topic: 'orders', pattern: '#' }] });
    await transport.consume('no-sdk-tap', async (delivery) => {
      seen.push(delivery.headers);
      await delivery.ack();
    });
    const envelope = await metro.publish(OrderPlaced, { orderId: 'x' });
    await waitUntil(() => seen.length === 1);
    expect(seen[0]).toEqual({});
    expect(envelope.traceparent).toBeUndefined();
    await metro.stop();
  });
});
