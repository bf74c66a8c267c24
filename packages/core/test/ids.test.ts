import { describe, expect, it } from 'vitest';
import { deterministicId, uuidv7 } from '../src/index.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7: message ids', () => {
  it('has the RFC 9562 version 7 layout, with the given time in its first 48 bits', () => {
    const now = Date.UTC(2026, 11, 7, 12, 0, 0, 123) + 10 ** 7; // later than any id made so far in this file
    const id = uuidv7(now);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('is unique and sorts in creation order, within one millisecond too', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(UUID_V7);
  });

  it('draws fresh random bits for every id (not a counter alone)', () => {
    const tails = new Set(Array.from({ length: 1000 }, () => uuidv7().slice(19)));
    expect(tails.size).toBe(1000);
  });

  it('deterministicId gives the same version 8 id for the same parts', () => {
    const a = deterministicId('legacy', 'user.created', new Uint8Array([1, 2]));
    expect(a).toBe(deterministicId('legacy', 'user.created', new Uint8Array([1, 2])));
    expect(a).not.toBe(deterministicId('legacy', 'user.created', new Uint8Array([1, 3])));
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
