import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMetro, defaultLogger, InMemoryTransport, silentLogger } from '../src/index.js';
import { OrderPlaced } from './helpers.js';

function captureStderr(): { lines: () => Record<string, unknown>[]; restore: () => void } {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk));
    return true;
  });
  return {
    lines: () =>
      written
        .join('')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    restore: () => spy.mockRestore(),
  };
}

describe('default logger', () => {
  let restore: (() => void) | undefined;
  // The shared test config sets METRO_LOG_LEVEL=silent for every package's tests; these tests
  // are about the default a user gets, so they take it away.
  const configured = process.env['METRO_LOG_LEVEL'];
  beforeEach(() => {
    delete process.env['METRO_LOG_LEVEL'];
  });
  afterEach(() => {
    restore?.();
    if (configured === undefined) delete process.env['METRO_LOG_LEVEL'];
    else process.env['METRO_LOG_LEVEL'] = configured;
  });

  it('writes warnings and errors to stderr as pino-shaped JSON lines, drops debug and info', () => {
    const stderr = captureStderr();
    restore = stderr.restore;
    const log = defaultLogger.child?.({ service: 'billing' }) ?? defaultLogger;
    log.debug({ a: 1 }, 'debug');
    log.info({ a: 1 }, 'info');
    log.warn({ queue: 'billing' }, 'consumer cancelled');
    log.error({ err: new TypeError('boom') }, 'failed');
    const lines = stderr.lines();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 40, service: 'billing', queue: 'billing', msg: 'consumer cancelled' });
    expect(lines[1]).toMatchObject({ level: 50, service: 'billing', msg: 'failed', err: { type: 'TypeError', message: 'boom' } });
    expect(typeof lines[1]?.time).toBe('number');
  });

  it('is what createMetro uses when given no logger: a failed message shows on stderr', async () => {
    const stderr = captureStderr();
    restore = stderr.restore;
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'default-logger', transport, retry: { attempts: 1 } });
    metro.on(OrderPlaced, () => {
      throw new Error('card declined');
    });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await transport.whenIdle();
    await metro.stop();
    const failed = stderr.lines().find((l) => l.msg === 'message recorded as failed (handler)');
    expect(failed).toMatchObject({ level: 40, service: 'default-logger', err: { message: 'card declined' } });
  });

  it('METRO_LOG_LEVEL moves the threshold: error drops warnings, debug shows everything, silent nothing', () => {
    const stderr = captureStderr();
    restore = stderr.restore;
    process.env['METRO_LOG_LEVEL'] = 'error';
    defaultLogger.warn({}, 'a warning');
    defaultLogger.error({}, 'an error');
    process.env['METRO_LOG_LEVEL'] = 'debug';
    defaultLogger.debug({}, 'a detail');
    process.env['METRO_LOG_LEVEL'] = 'silent';
    defaultLogger.error({}, 'not shown');
    expect(stderr.lines().map((l) => [l.level, l.msg])).toEqual([
      [50, 'an error'],
      [20, 'a detail'],
    ]);
  });

  it('stays quiet with silentLogger', async () => {
    const stderr = captureStderr();
    restore = stderr.restore;
    const transport = new InMemoryTransport({ logger: silentLogger });
    const metro = createMetro({ service: 'silent-logger', transport, logger: silentLogger, retry: { attempts: 1 } });
    metro.on(OrderPlaced, () => {
      throw new Error('card declined');
    });
    await metro.start();
    await metro.publish(OrderPlaced, { orderId: '1' });
    await transport.whenIdle();
    await metro.stop();
    expect(stderr.lines()).toEqual([]);
  });
});
