import { describe, expect, it } from 'vitest';
import { ClaimFloor } from '../src/relay/claim-floor.js';

describe('ClaimFloor', () => {
  it('starts from the start when nothing is in flight', () => {
    const floor = new ClaimFloor(100);
    expect(floor.next(0)).toBeUndefined();
    expect(floor.next(1)).toBeUndefined();
  });

  it('starts after the highest seq held by a batch in flight, until that batch ends', () => {
    const floor = new ClaimFloor(100);
    expect(floor.next(0)).toBeUndefined(); // the first claim is a full one
    floor.hold(0, '120');
    floor.hold(1, '9007199254740993'); // beyond Number's exact range
    expect(floor.next(10)).toBe('9007199254740993');
    floor.release(1);
    expect(floor.next(20)).toBe('120');
    floor.release(0);
    expect(floor.next(30)).toBeUndefined();
  });

  it('claims from the start at least once per interval, and right after a short claim', () => {
    const floor = new ClaimFloor(100);
    floor.hold(0, '50');
    expect(floor.next(0)).toBeUndefined();
    expect(floor.next(50)).toBe('50');
    expect(floor.next(100)).toBeUndefined(); // interval elapsed
    expect(floor.next(101)).toBe('50');
    floor.claimed('50', 3, 10, '60'); // after the floor, and short
    expect(floor.next(102)).toBeUndefined();
    expect(floor.next(103)).toBe('50');
  });

  it('keeps claiming from the start while full claims from the start stay below the floor (a backlog below it)', () => {
    const floor = new ClaimFloor(100);
    floor.hold(0, '1000');
    expect(floor.next(0)).toBeUndefined();
    floor.claimed(undefined, 10, 10, '40'); // full, all below 1000: more may wait there
    expect(floor.next(1)).toBeUndefined();
    floor.claimed(undefined, 10, 10, '1010'); // full, but reached past the floor: the backlog is gone
    expect(floor.next(2)).toBe('1000');
    floor.claimed('1000', 10, 10, '1020'); // after the floor, full
    expect(floor.next(3)).toBe('1000');
  });

  it('starts a claim made while another runs after the rows that one reaches, and holds what each took', async () => {
    const floor = new ClaimFloor(60_000);
    expect(floor.next()).toBeUndefined(); // the first claim is a full one
    floor.hold(0, '100');
    let finishFirst!: (rows: { seq: string }[]) => void;
    const first = floor.claim(1, 50, (after) => {
      expect(after).toBe('100');
      return new Promise<{ seq: string }[]>((resolve) => (finishFirst = resolve));
    });
    // Runs at once (no waiting for the first), after 100 + 50: where the first claim reaches at least.
    const second = await floor.claim(2, 50, async (after) => Array.from({ length: 50 }, (_, i) => ({ seq: String(Number(after) + 1 + i) })));
    expect(second.after).toBe('150');
    expect(floor.next()).toBe('200'); // the second's rows are held
    finishFirst(Array.from({ length: 50 }, (_, i) => ({ seq: String(101 + i) })));
    expect((await first).after).toBe('100');
    floor.release(2);
    expect(floor.next()).toBe('150'); // the first's rows, once nothing above them is held or claiming
  });

  it('after a claim that failed, which holds nothing, claims from the start once, then after the floor again', async () => {
    const floor = new ClaimFloor(60_000);
    expect(floor.next()).toBeUndefined();
    floor.hold(0, '10');
    await expect(floor.claim(1, 100, () => Promise.reject(new Error('connection lost')))).rejects.toThrow('connection lost');
    // Other lanes may have claimed past 10 + 100 meanwhile: the rows after 10 are looked for from the start.
    expect(await floor.claim(2, 1, async (after) => [{ seq: after === undefined ? '11' : 'wrong' }])).toEqual({ rows: [{ seq: '11' }], after: undefined });
    // The failed claim no longer counts: the next starts after the held rows, not after 10 + 100.
    expect(floor.next()).toBe('11');
  });

  it('counts claims still running when a full claim from the start decides whether a backlog waits below the floor', async () => {
    const floor = new ClaimFloor(60_000);
    expect(floor.next()).toBeUndefined();
    floor.hold(0, '1000');
    let finish!: (rows: { seq: string }[]) => void;
    const running = floor.claim(1, 100, () => new Promise<{ seq: string }[]>((resolve) => (finish = resolve))); // reaches 1100
    floor.release(0);
    // A short claim after the floor: the next one is from the start, and it comes back full at 401-500.
    await floor.claim(2, 100, async () => []);
    const fromStart = await floor.claim(3, 100, async () => Array.from({ length: 100 }, (_, i) => ({ seq: String(401 + i) })));
    expect(fromStart.after).toBeUndefined();
    // Rows up to 1100 may wait below the floor: the next claim starts from the start again.
    expect(floor.next()).toBeUndefined();
    finish([]);
    await running;
  });
});
