import { silentLogger, type Transport } from '@metro/core';
import type { ProcedureHandler } from '../procedure/procedure-context.js';
import type { AnyProcedure, ProcedureParsedInput } from '../procedure/procedure.js';
import { serveProcedure } from './rpc-server.js';

/** A fake of another service's procedure, served in a test. */
export interface FakeProcedure<P extends AnyProcedure> {
  /** The (parsed) inputs it was called with, in order. */
  readonly calls: ReadonlyArray<ProcedureParsedInput<P>>;
  stop(): Promise<void>;
}

/**
 * Serves a fake implementation of `procedure` on `transport` (usually core's `InMemoryTransport`)
 * so code that calls it can be tested with no broker and no real peer. Records every input.
 *
 * @example
 * ```ts
 * const transport = new InMemoryTransport();
 * const fake = await fakeProcedure(transport, GetCustomers, (ids) => ids.map((id) => ({ id, name: 'Ada' })));
 * await renderOrders(createRpc({ transport, service: 'orders' }));
 * expect(fake.calls).toHaveLength(1);
 * ```
 */
export async function fakeProcedure<P extends AnyProcedure>(transport: Transport, procedure: P, impl: ProcedureHandler<P>): Promise<FakeProcedure<P>> {
  const calls: Array<ProcedureParsedInput<P>> = [];
  const served = await serveProcedure(
    transport,
    procedure,
    (input, ctx) => {
      calls.push(input);
      return impl(input, ctx);
    },
    { logger: silentLogger, concurrency: 64 },
  );
  return { calls, stop: () => served.stop() };
}
