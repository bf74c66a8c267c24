import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestMetro } from '../src/testing/index.js';
import { defineEvent, isThenable, validateNow, ValidationError } from '../src/index.js';

describe('validateNow', () => {
  const Order = z.object({ id: z.string(), qty: z.coerce.number().default(1) });

  it('returns the parsed output synchronously for a sync schema and a valid value', () => {
    const out = validateNow(Order, { id: 'o1' }, 'order');
    expect(isThenable(out)).toBe(false);
    expect(out).toEqual({ id: 'o1', qty: 1 });
  });

  it('rejects with a ValidationError naming what failed and where, for an invalid value', async () => {
    const out = validateNow(Order, { id: 7 }, 'Order payload');
    expect(isThenable(out)).toBe(true);
    const err = await Promise.resolve(out).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).message).toContain('Order payload');
    expect((err as ValidationError).issues[0]!.path).toEqual(['id']);
  });

  it('awaits an async schema: valid values resolve, invalid ones reject', async () => {
    const Async = z.object({ id: z.string() }).refine(async (v) => v.id !== 'taken', 'id taken');
    const ok = validateNow(Async, { id: 'free' }, 'async');
    expect(isThenable(ok)).toBe(true);
    await expect(ok).resolves.toEqual({ id: 'free' });
    await expect(Promise.resolve(validateNow(Async, { id: 'taken' }, 'async'))).rejects.toBeInstanceOf(ValidationError);
  });

  it('publishing with an async schema validates before sending: an invalid payload sends nothing', async () => {
    const Reserved = defineEvent({
      topic: 'names',
      type: 'reserved',
      schema: z.object({ name: z.string() }).refine(async (v) => v.name !== 'root', 'reserved name'),
    });
    const metro = createTestMetro({ service: 'names' });
    const got: unknown[] = [];
    metro.on(Reserved, (data) => void got.push(data));
    await metro.start();
    try {
      await expect(metro.publish(Reserved, { name: 'root' })).rejects.toBeInstanceOf(ValidationError);
      await metro.publish(Reserved, { name: 'alice' });
      await metro.drain();
      expect(got).toEqual([{ name: 'alice' }]);
    } finally {
      await metro.stop();
    }
  });
});
