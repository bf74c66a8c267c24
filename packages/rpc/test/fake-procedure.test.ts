import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InMemoryTransport } from '@metro/core';
import { createRpc, defineProcedure, fakeProcedure, merge, NoResponderError, type Rpc } from '../src/index.js';

// The code under test: another service's procedure is called through rpc.
const GetCustomers = defineProcedure({
  name: 'customers.getMany',
  input: z.array(z.string()),
  output: z.array(z.object({ id: z.string(), name: z.string() })),
});

async function ordersWithCustomers(rpc: Rpc, orders: Array<{ id: string; customerId: string }>) {
  const customers = await rpc.call(GetCustomers, [...new Set(orders.map((o) => o.customerId))]);
  return merge(orders, customers, { localKey: 'customerId', remoteKey: 'id', as: 'customer' });
}

describe('test mode: a fake procedure on the in-memory transport', () => {
  const transport = new InMemoryTransport();
  const rpc = createRpc({ transport, service: 'orders' });
  afterAll(async () => {
    await rpc.stop();
    await transport.close();
  });

  it('serves the fake with no broker and records its calls', async () => {
    await expect(ordersWithCustomers(rpc, [{ id: 'o1', customerId: 'c1' }])).rejects.toBeInstanceOf(NoResponderError);
    const fake = await fakeProcedure(transport, GetCustomers, (ids) => ids.filter((id) => id !== 'c3').map((id) => ({ id, name: `Fake ${id}` })));
    const rows = await ordersWithCustomers(rpc, [
      { id: 'o1', customerId: 'c1' },
      { id: 'o2', customerId: 'c3' },
      { id: 'o3', customerId: 'c1' },
    ]);
    expect(rows.map((r) => r.customer?.name ?? null)).toEqual(['Fake c1', null, 'Fake c1']);
    expect(fake.calls).toEqual([['c1', 'c3']]);
    await fake.stop();
  });
});
