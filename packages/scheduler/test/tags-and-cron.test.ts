import { describe, expect, it } from 'vitest';
import { assertValidCron, InvalidCronError, InvalidTagsError, nextCronTime, normalizeTags } from '../src/index.js';

describe('normalizeTags', () => {
  it('stores every value as its string form', () => {
    expect(normalizeTags({ a: 1, b: '1', c: true, d: 'x', e: 0.5 })).toEqual({ a: '1', b: '1', c: 'true', d: 'x', e: '0.5' });
    expect(normalizeTags(undefined)).toEqual({});
  });

  it.each([
    ['an object value', { user: { id: 1 } }],
    ['an array value', { ids: [1, 2] }],
    ['null', { a: null }],
    ['a Date', { at: new Date() }],
    ['NaN', { n: Number.NaN }],
    ['Infinity', { n: Number.POSITIVE_INFINITY }],
    ['a function', { f: () => 1 }],
    ['a bigint', { b: 1n }],
    ['an empty key', { '': 'x' }],
  ])('rejects %s with a typed error', (_what, tags) => {
    const call = () => normalizeTags(tags);
    expect(call).toThrow(InvalidTagsError);
    try {
      call();
    } catch (err) {
      expect((err as InvalidTagsError).code).toBe('SCHEDULER_INVALID_TAGS');
      expect((err as Error).message).toMatch(/strings, finite numbers or booleans/);
    }
  });

  it('rejects non-objects, arrays, class instances and reserved keys', () => {
    expect(() => normalizeTags('a=b')).toThrow(InvalidTagsError);
    expect(() => normalizeTags(['a'])).toThrow(InvalidTagsError);
    expect(() => normalizeTags(new Map([['a', 'b']]))).toThrow(InvalidTagsError);
    expect(() => normalizeTags(JSON.parse('{"__proto__": "x"}'))).toThrow(/reserved/);
  });
});

describe('cron', () => {
  it('computes the next tick in UTC by default, with or without seconds', () => {
    expect(nextCronTime('0 9 * * *', undefined, new Date('2024-01-01T10:00:00Z')).toISOString()).toBe('2024-01-02T09:00:00.000Z');
    expect(nextCronTime('*/15 * * * * *', undefined, new Date('2024-01-01T00:00:01Z')).toISOString()).toBe('2024-01-01T00:00:15.000Z');
  });

  it('follows the time zone across the spring-forward gap (02:30 does not exist: fires once at 03:30 EDT)', () => {
    const tz = 'America/New_York';
    const first = nextCronTime('30 2 * * *', tz, new Date('2024-03-09T12:00:00Z'));
    expect(first.toISOString()).toBe('2024-03-10T07:30:00.000Z');
    const second = nextCronTime('30 2 * * *', tz, first);
    expect(second.toISOString()).toBe('2024-03-11T06:30:00.000Z'); // 02:30 EDT
  });

  it('fires a repeated wall-clock time once on the fall-back day', () => {
    const tz = 'America/New_York';
    const first = nextCronTime('30 1 * * *', tz, new Date('2024-11-02T12:00:00Z'));
    expect(first.toISOString()).toBe('2024-11-03T05:30:00.000Z'); // 01:30 EDT, the first of the two
    const second = nextCronTime('30 1 * * *', tz, first);
    expect(second.toISOString()).toBe('2024-11-04T06:30:00.000Z'); // not 06:30 the same day (01:30 EST)
  });

  it('keeps 09:00 local across the DST change in Europe/Paris', () => {
    const tz = 'Europe/Paris';
    const before = nextCronTime('0 9 * * *', tz, new Date('2024-03-30T12:00:00Z'));
    const after = nextCronTime('0 9 * * *', tz, before);
    expect(before.toISOString()).toBe('2024-03-31T07:00:00.000Z'); // 09:00 CEST (DST began at 02:00 that day)
    expect(after.toISOString()).toBe('2024-04-01T07:00:00.000Z');
    const winter = nextCronTime('0 9 * * *', tz, new Date('2024-10-27T12:00:00Z'));
    expect(winter.toISOString()).toBe('2024-10-28T08:00:00.000Z'); // 09:00 CET
  });

  it('rejects invalid expressions and time zones with InvalidCronError', () => {
    for (const bad of ['61 * * * *', 'not a cron', '', '* * * * * * * *', '0 25 * * *']) {
      expect(() => assertValidCron(bad), bad).toThrow(InvalidCronError);
    }
    try {
      assertValidCron('0 9 * * *', 'Mars/Olympus');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidCronError);
      expect((err as InvalidCronError).code).toBe('SCHEDULER_INVALID_CRON');
      expect((err as Error).message).toMatch(/unknown time zone "Mars\/Olympus"/);
    }
  });
});
