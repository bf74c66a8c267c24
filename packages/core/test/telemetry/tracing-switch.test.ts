// The per-message on/off checks of Metro's telemetry, in a process (test file) where nothing of
// OpenTelemetry is registered at first: off while nothing is, on once an SDK is, off again after.
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { metroMetrics, tracingEnabled } from '../../src/telemetry/index.js';

const OTEL_GLOBALS = Symbol.for('opentelemetry.js.api.1');

describe('tracingEnabled / metroMetrics', () => {
  it('are off with the api installed and nothing registered, pick up providers registered later, and turn off when they are removed', async () => {
    expect((globalThis as Record<symbol, unknown>)[OTEL_GLOBALS]).toBeUndefined();
    expect(tracingEnabled()).toBe(false);
    expect(metroMetrics()).toBeUndefined();

    const tracerProvider = new BasicTracerProvider();
    trace.setGlobalTracerProvider(tracerProvider);
    const meterProvider = new MeterProvider();
    metrics.setGlobalMeterProvider(meterProvider);
    expect(tracingEnabled()).toBe(true);
    expect(metroMetrics()).toBeDefined();

    trace.disable();
    metrics.disable();
    expect(tracingEnabled()).toBe(false);
    expect(metroMetrics()).toBeUndefined();
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
  });
});
