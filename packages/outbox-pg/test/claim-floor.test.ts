import { describe, expect, it } from 'vitest';
import { ClaimFloor } from '../src/claim-floor.js';

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
});
