import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InMemoryTransport } from '@metro/core';
import { createLoader, createRpc, defineProcedure, RemoteError } from '../src/index.js';

const transport = new InMemoryTransport();
const rpc = createRpc({ transport, service: 'loader-test' });
afterAll(async () => {
  await rpc.stop();
  await transport.close();
});

const Users = defineProcedure({
  name: `users-${Math.random().toString(36).slice(2)}.byIds`,
  input: z.array(z.union([z.string(), z.number()])),
  output: z.array(z.object({ id: z.number(), name: z.string() })),
});

describe('loader', () => {
  const batches: Array<Array<string | number>> = [];
  const ready = rpc.serve(Users, (ids) => {
    batches.push(ids);
    if (ids.includes('boom')) throw new Error('lookup failed');
    return ids
      .map(Number)
      .filter((id) => id > 0)
      .map((id) => ({ id, name: `u${id}` }));
  });

  it('answers each caller in the order asked, with keys compared as strings', async () => {
    await ready;
    batches.length = 0;
    const loader = rpc.loader(Users, { key: 'id' });
    const result = await loader.loadMany([3, '1', 2, 3, -1]);
    expect(result).toEqual([{ id: 3, name: 'u3' }, { id: 1, name: 'u1' }, { id: 2, name: 'u2' }, { id: 3, name: 'u3' }, null]);
    expect(batches).toEqual([[3, '1', 2, -1]]);
  });

  it('splits a tick into calls of at most maxBatch keys', async () => {
    await ready;
    batches.length = 0;
    const loader = rpc.loader(Users, { key: 'id', maxBatch: 10 });
    const result = await Promise.all(Array.from({ length: 25 }, (_, i) => loader.load(i + 1)));
    expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(loader.calls).toBe(3);
    expect(result.map((r) => r?.id)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('loads made in different ticks make different calls', async () => {
    await ready;
    batches.length = 0;
    const loader = rpc.loader(Users, { key: (u) => u.id });
    await loader.load(1);
    await loader.load(2);
    expect(batches).toEqual([[1], [2]]);
  });

  it('rejects every caller of a failed batch with the remote error, and recovers on the next tick', async () => {
    await ready;
    const loader = rpc.loader(Users, { key: 'id' });
    const results = await Promise.allSettled([loader.load(1), loader.load('boom'), loader.load(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(RemoteError);
    await expect(loader.load(1)).resolves.toEqual({ id: 1, name: 'u1' });
  });

  it('works over any async function, refuses bad options and keys', async () => {
    let calls = 0;
    const loader = createLoader<typeof Users, number, { id: number; name: string }>(
      async (ids) => {
        calls++;
        return (ids as number[]).map((id) => ({ id, name: String(id) }));
      },
      { key: 'id' },
    );
    const [a, b] = await Promise.all([loader.load(5), loader.load(6)]);
    expect([a?.name, b?.name, calls]).toEqual(['5', '6', 1]);
    expect(() => createLoader(async () => [], { key: 'id', maxBatch: 0 })).toThrow(/maxBatch/);
    await expect(loader.load({} as unknown as number)).rejects.toThrow(/strings or numbers/);
  });
});
