import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigurationError, MetroError, RequestTimeoutError } from '@metro/core';
import { createRpc, defineProcedure, NoResponderError, RemoteError, RpcTimeoutError } from '../src/index.js';
import { InMemoryTransport } from '@metro/core';

describe('defineProcedure and errors', () => {
  it('declares a frozen procedure served from rpc.<name>', () => {
    const p = defineProcedure({ name: 'customers.get', input: z.string(), output: z.number() });
    expect(p.queue).toBe('rpc.customers.get');
    expect(Object.isFrozen(p)).toBe(true);
  });

  it('refuses bad names and non-schemas', () => {
    expect(() => defineProcedure({ name: 'has space', input: z.string(), output: z.string() })).toThrow(ConfigurationError);
    expect(() => defineProcedure({ name: '', input: z.string(), output: z.string() })).toThrow(ConfigurationError);
    expect(() => defineProcedure({ name: 'ok', input: {} as never, output: z.string() })).toThrow(/Standard Schema/);
  });

  it('errors have stable codes and extend the core classes', () => {
    const timeout = new RpcTimeoutError('a.b', 100);
    expect(timeout).toBeInstanceOf(RequestTimeoutError);
    expect(timeout.code).toBe('RPC_TIMEOUT');
    expect(new NoResponderError('a.b')).toMatchObject({ code: 'NO_RESPONDER' });
    expect(new RemoteError('a.b', 'X', 'y')).toBeInstanceOf(MetroError);
  });

  it('refuses to serve one procedure twice, and bad concurrency', async () => {
    const transport = new InMemoryTransport();
    const rpc = createRpc({ transport, service: 's' });
    const p = defineProcedure({ name: `twice-${Math.random().toString(36).slice(2)}`, input: z.string(), output: z.string() });
    await rpc.serve(p, (s) => s);
    await expect(rpc.serve(p, (s) => s)).rejects.toBeInstanceOf(ConfigurationError);
    const first = await rpc.call(p, 'a');
    const served = await rpc.serve(defineProcedure({ name: `${p.name}-other`, input: z.string(), output: z.string() }), (s) => s);
    await served.stop();
    const again = await rpc.serve(defineProcedure({ name: `${p.name}-other`, input: z.string(), output: z.string() }), (s) => s.toUpperCase());
    expect(first).toBe('a');
    expect(again.procedure).toBe(`${p.name}-other`);
    expect(() => createRpc({ transport, service: 's', concurrency: 0 })).toThrow(ConfigurationError);
    await rpc.stop();
    await transport.close();
  });
});
