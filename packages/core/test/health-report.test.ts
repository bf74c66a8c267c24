import { describe, expect, it } from 'vitest';
import {
  ageCheck,
  combineHealth,
  ConfigurationError,
  createBoundedProbe,
  healthReport,
  resolveAgeThresholds,
  worstStatus,
  type HealthCheck,
} from '../src/index.js';

const check = (status: HealthCheck['status'], liveness = false): HealthCheck => ({ status, message: status, liveness, observed: {} });

describe('health reports', () => {
  it('a report is as bad as its worst check; degraded is still ready; only liveness checks decide live', () => {
    expect(worstStatus([])).toBe('healthy');
    expect(worstStatus(['healthy', 'degraded', 'healthy'])).toBe('degraded');
    const degraded = healthReport({ a: check('healthy'), b: check('degraded') });
    expect(degraded).toMatchObject({ status: 'degraded', ready: true, live: true });
    const brokerDown = healthReport({ a: check('unhealthy'), b: check('healthy', true) });
    expect(brokerDown).toMatchObject({ status: 'unhealthy', ready: false, live: true });
    const crashed = healthReport({ a: check('unhealthy', true) });
    expect(crashed).toMatchObject({ status: 'unhealthy', ready: false, live: false });
    expect(Date.parse(crashed.checkedAt)).toBeGreaterThan(0);
  });

  it('the liveness probe keeps only the liveness checks', () => {
    const report = healthReport({ db: check('unhealthy'), loops: check('healthy', true) }, { probe: 'liveness' });
    expect(Object.keys(report.checks)).toEqual(['loops']);
    expect(report).toMatchObject({ status: 'healthy', live: true });
  });

  it('combineHealth keeps every check, numbers clashing names, and recomputes the status', () => {
    const combined = combineHealth(
      healthReport({ 'x.bus': check('healthy') }),
      healthReport({ 'x.bus': check('degraded'), 'y.lag': check('unhealthy', true) }),
      healthReport({ 'x.bus': check('healthy') }),
    );
    expect(Object.keys(combined.checks)).toEqual(['x.bus', 'x.bus#2', 'y.lag', 'x.bus#3']);
    expect(combined).toMatchObject({ status: 'unhealthy', ready: false, live: false });
    expect(combineHealth()).toMatchObject({ status: 'healthy', ready: true, live: true, checks: {} });
  });
});

describe('ageCheck', () => {
  const thresholds = resolveAgeThresholds('lag', { degraded: '1s' }, { degraded: '30s', unhealthy: '10s' });
  const text = { subject: 'the oldest row', advice: 'look at the relay', none: 'nothing pending' };

  it('is healthy under degraded, degraded up to unhealthy, unhealthy past it, and healthy with nothing waiting', () => {
    expect(thresholds).toEqual({ degradedMs: 1000, unhealthyMs: 10_000 });
    expect(ageCheck(null, thresholds, text)).toMatchObject({ status: 'healthy', message: 'nothing pending', observed: { ageMs: null } });
    expect(ageCheck(999, thresholds, text).status).toBe('healthy');
    const degraded = ageCheck(1500, thresholds, text, { pending: 3 });
    expect(degraded).toMatchObject({
      status: 'degraded',
      liveness: false,
      observed: { ageMs: 1500, pending: 3 },
      thresholds: { degradedMs: 1000, unhealthyMs: 10_000 },
    });
    expect(degraded.message).toBe('the oldest row is 1.5 s old, over 1.0 s: look at the relay');
    expect(ageCheck(10_000, thresholds, text).status).toBe('unhealthy');
  });

  it('refuses a degraded threshold above the unhealthy one', () => {
    expect(() => resolveAgeThresholds('lag', { degraded: '5m', unhealthy: '1m' }, { degraded: '30s', unhealthy: '5m' })).toThrow(ConfigurationError);
  });
});

describe('createBoundedProbe', () => {
  it('reports the value, or the error, of the check', async () => {
    await expect(createBoundedProbe(async () => 42, 1000).run()).resolves.toMatchObject({ ok: true, value: 42 });
    await expect(
      createBoundedProbe(async () => {
        throw new TypeError('refused');
      }, 1000).run(),
    ).resolves.toMatchObject({ ok: false, timedOut: false, error: 'TypeError: refused' });
  });

  it('gives up after its timeout, joins a check in flight, and starts afresh once that one is past its time', async () => {
    let calls = 0;
    let release: (() => void) | undefined;
    const probe = createBoundedProbe(() => {
      calls++;
      return new Promise<string>((resolve) => (release = () => resolve('late')));
    }, 150);
    const started = Date.now();
    const [first, second] = await Promise.all([probe.run(), probe.run()]);
    const elapsed = Date.now() - started;
    expect(first).toMatchObject({ ok: false, timedOut: true, error: 'no answer within 150 ms' });
    expect(second).toMatchObject({ ok: false, timedOut: true });
    expect(calls).toBe(1); // joined
    expect(elapsed).toBeGreaterThanOrEqual(140); // the timer's own resolution
    expect(elapsed).toBeLessThan(2000); // bounded (generous for a loaded machine)
    const third = probe.run();
    expect(calls).toBe(2); // the first one was past its time
    release!();
    await expect(third).resolves.toMatchObject({ ok: true, value: 'late' });
  });
});
