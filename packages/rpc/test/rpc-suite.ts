// The RPC behaviour suite, run against every transport (in-memory and RabbitMQ).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createEnvelope, currentCorrelation, defineEvent, MetroError, ValidationError, withCorrelation, type Transport } from '@metro/core';
import { createRpc, defineProcedure, merge, NoResponderError, RemoteError, RpcProtocolError, RpcTimeoutError, type Rpc } from '../src/index.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Hooks of a suite run: `cleanup` gets every procedure queue the suite used (to delete them from a real broker). */
export interface RpcSuiteHooks {
  readonly cleanup?: (queues: string[]) => Promise<void>;
}

export function defineRpcSuite(label: string, makeTransport: () => Transport | Promise<Transport>, hooks: RpcSuiteHooks = {}): void {
  describe(`rpc on ${label}`, () => {
    const suffix = Math.random().toString(36).slice(2, 10);
    const queues = new Set<string>();
    const n = (name: string) => {
      queues.add(`rpc.test-${suffix}.${name}`);
      return `test-${suffix}.${name}`;
    };
    let serverTransport: Transport;
    let clientTransport: Transport;
    let server: Rpc;
    let client: Rpc;

    beforeAll(async () => {
      serverTransport = await makeTransport();
      clientTransport = label === 'memory' ? serverTransport : await makeTransport();
      server = createRpc({ transport: serverTransport, service: 'server', concurrency: 32 });
      client = createRpc({ transport: clientTransport, service: 'client', defaultTimeout: '5s' });
    });

    afterAll(async () => {
      await client?.stop();
      await server?.stop();
      await clientTransport?.close();
      if (clientTransport !== serverTransport) await serverTransport?.close();
      await hooks.cleanup?.([...queues]);
    });

    it('returns the typed, validated output; the server gets the parsed input', async () => {
      const Add = defineProcedure({
        name: n('add'),
        input: z.object({ a: z.string().transform(Number), b: z.number() }),
        output: z.object({ sum: z.number() }),
      });
      const seen: unknown[] = [];
      await server.serve(Add, ({ a, b }) => {
        seen.push(a);
        return { sum: a + b };
      });
      const result = await client.call(Add, { a: '2', b: 3 });
      expect(result).toEqual({ sum: 5 });
      expect(seen).toEqual([2]);
    });

    it('keeps many calls in flight at once, each answered with its own reply', async () => {
      const Echo = defineProcedure({ name: n('echo'), input: z.object({ i: z.number() }), output: z.object({ i: z.number(), twice: z.number() }) });
      let inFlight = 0;
      let maxInFlight = 0;
      await server.serve(Echo, async ({ i }) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(5 + (i % 7) * 3);
        inFlight--;
        return { i, twice: i * 2 };
      });
      const results = await Promise.all(Array.from({ length: 300 }, (_, i) => client.call(Echo, { i })));
      expect(results.map((r) => r.twice)).toEqual(Array.from({ length: 300 }, (_, i) => i * 2));
      expect(maxInFlight).toBeGreaterThan(1);
    });

    it('raises RemoteError with the remote code, message and details', async () => {
      class NotFound extends MetroError {
        constructor(id: string) {
          super('NOT_FOUND', `No customer ${id}`, { details: { id } });
        }
      }
      const Get = defineProcedure({ name: n('get'), input: z.object({ id: z.string() }), output: z.object({ id: z.string() }) });
      await server.serve(Get, ({ id }) => {
        if (id === 'plain') throw new Error('database exploded');
        if (id === 'string') throw 'a string';
        throw new NotFound(id);
      });
      const err = await client.call(Get, { id: 'c9' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect(err).toMatchObject({ code: 'NOT_FOUND', message: 'No customer c9', details: { id: 'c9' }, procedure: n('get') });
      await expect(client.call(Get, { id: 'plain' })).rejects.toMatchObject({ code: 'HANDLER_FAILED', message: 'database exploded' });
      await expect(client.call(Get, { id: 'string' })).rejects.toMatchObject({ code: 'NON_ERROR_THROWN' });
    });

    it('raises ValidationError for bad input before sending, and for bad output on return', async () => {
      const Strict = defineProcedure({ name: n('strict'), input: z.object({ n: z.number().int() }), output: z.object({ ok: z.literal(true) }) });
      let executed = 0;
      await server.serve(Strict, ({ n: value }) => {
        executed++;
        return (value === 1 ? { ok: true } : { ok: 'nope' }) as { ok: true };
      });
      await expect(client.call(Strict, { n: 1.5 })).rejects.toBeInstanceOf(ValidationError);
      expect(executed).toBe(0);
      const bad = await client.call(Strict, { n: 2 }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ValidationError);
      expect((bad as ValidationError).message).toContain('Output of procedure');
      expect(executed).toBe(1);
      await expect(client.call(Strict, { n: 1 })).resolves.toEqual({ ok: true });
    });

    it('answers a request whose input the server refuses with a VALIDATION_FAILED RemoteError', async () => {
      const Loose = defineProcedure({ name: n('loose'), input: z.object({ n: z.number() }), output: z.number() });
      const Tight = defineProcedure({ name: n('loose'), input: z.object({ n: z.number().max(10) }), output: z.number() });
      await server.serve(Tight, ({ n: value }) => value);
      const err = await client.call(Loose, { n: 99 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect(err).toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('answers output JSON cannot encode with a fail reply, and aborts ctx.signal at the deadline', async () => {
      const Big = defineProcedure({ name: n('big'), input: z.object({}), output: z.unknown() });
      await server.serve(Big, () => ({ n: 1n }));
      await expect(client.call(Big, {})).rejects.toMatchObject({ code: 'OUTPUT_NOT_SERIALIZABLE' });

      const Watch = defineProcedure({ name: n('watch'), input: z.object({}), output: z.string() });
      let abortedAfter = -1;
      const handled = new Promise<void>((resolve) => {
        void server.serve(Watch, async (_input, ctx) => {
          const started = Date.now();
          await new Promise<void>((done) => {
            ctx.signal.addEventListener('abort', () => done(), { once: true });
            setTimeout(done, 2000);
          });
          abortedAfter = ctx.signal.aborted ? Date.now() - started : -1;
          await new Promise((done) => setTimeout(done, 200)); // past the caller's own timer
          resolve();
          return 'late';
        });
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await expect(client.call(Watch, {}, { timeout: 300 })).rejects.toBeInstanceOf(RpcTimeoutError);
      await handled;
      expect(abortedAfter).toBeGreaterThanOrEqual(0);
      expect(abortedAfter).toBeLessThan(1000);
    });

    it('raises NoResponderError when nothing serves the procedure', async () => {
      const Nobody = defineProcedure({ name: n('nobody'), input: z.object({}), output: z.object({}) });
      const started = Date.now();
      await expect(client.call(Nobody, {}, { timeout: 3000 })).rejects.toBeInstanceOf(NoResponderError);
      expect(Date.now() - started).toBeLessThan(2500);
    });

    it('a stopped server leaves no queue behind (NoResponderError); a durable one keeps it (RpcTimeoutError)', async () => {
      const Gone = defineProcedure({ name: n('gone'), input: z.object({}), output: z.string() });
      const served = await server.serve(Gone, () => 'here');
      await expect(client.call(Gone, {})).resolves.toBe('here');
      await served.stop();
      await expect(client.call(Gone, {}, { timeout: 2000 })).rejects.toBeInstanceOf(NoResponderError);

      const other = createRpc({ transport: serverTransport, service: 'durable-server' });
      const Kept = defineProcedure({ name: n('kept'), input: z.object({}), output: z.string() });
      await other.serve(Kept, () => 'kept', { durable: true });
      await expect(client.call(Kept, {})).resolves.toBe('kept');
      await other.stop();
      expect(await serverTransport.inspectQueue(Kept.queue)).toMatchObject({ consumers: 0 });
      await expect(client.call(Kept, {}, { timeout: 200 })).rejects.toBeInstanceOf(RpcTimeoutError);
    });

    it('raises RpcTimeoutError after the timeout and drops the late reply', async () => {
      const Slow = defineProcedure({ name: n('slow'), input: z.object({ ms: z.number(), tag: z.string() }), output: z.object({ tag: z.string() }) });
      let finished = 0;
      await server.serve(Slow, async ({ ms, tag }) => {
        await sleep(ms);
        finished++;
        return { tag };
      });
      const started = Date.now();
      const err = await client.call(Slow, { ms: 600, tag: 'late' }, { timeout: 200 }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(RpcTimeoutError);
      expect(err).toMatchObject({ code: 'RPC_TIMEOUT' });
      expect(elapsed).toBeGreaterThanOrEqual(190);
      expect(elapsed).toBeLessThan(1500);
      await sleep(700);
      expect(finished).toBe(1); // the late reply was produced and dropped
      await expect(client.call(Slow, { ms: 0, tag: 'next' })).resolves.toEqual({ tag: 'next' });
    });

    it('limits concurrent executions per server and skips requests whose caller gave up', async () => {
      const Limited = defineProcedure({ name: n('limited'), input: z.object({ ms: z.number(), tag: z.string() }), output: z.string() });
      let inFlight = 0;
      let maxInFlight = 0;
      const executed: string[] = [];
      const served = await server.serve(
        Limited,
        async ({ ms, tag }) => {
          executed.push(tag);
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await sleep(ms);
          inFlight--;
          return tag;
        },
        { concurrency: 2, prefetch: 2 },
      );
      const tags = Array.from({ length: 8 }, (_, i) => `t${i}`);
      const results = await Promise.all(tags.map((tag) => client.call(Limited, { ms: 40, tag })));
      expect(results).toEqual(tags);
      expect(maxInFlight).toBe(2);

      executed.length = 0;
      const blockers = [client.call(Limited, { ms: 700, tag: 'b1' }), client.call(Limited, { ms: 700, tag: 'b2' })];
      await sleep(100);
      await expect(client.call(Limited, { ms: 0, tag: 'abandoned' }, { timeout: 150 })).rejects.toBeInstanceOf(RpcTimeoutError);
      await Promise.all(blockers);
      await expect(client.call(Limited, { ms: 0, tag: 'after' })).resolves.toBe('after');
      expect(executed).not.toContain('abandoned');
      expect(executed).toContain('after');
      expect(served.stats.succeeded).toBe(11);
    });

    it('carries the correlation id from caller to server and into what the server publishes and calls', async () => {
      const Audit = defineEvent({ topic: `audit-${suffix}`, type: 'looked-up', schema: z.object({ id: z.string() }) });
      const Inner = defineProcedure({ name: n('inner'), input: z.object({}), output: z.object({ correlationId: z.string() }) });
      const Outer = defineProcedure({
        name: n('outer'),
        input: z.object({ id: z.string() }),
        output: z.object({
          ctx: z.string(),
          seen: z.string(),
          published: z.string(),
          causation: z.string(),
          requestId: z.string(),
          inner: z.string(),
          caller: z.string(),
        }),
      });
      await server.serve(Inner, () => ({ correlationId: currentCorrelation()?.correlationId ?? 'none' }));
      await server.serve(Outer, async ({ id }, ctx) => {
        const envelope = await createEnvelope(Audit, { id }, { source: 'server' });
        const inner = await server.call(Inner, {});
        return {
          ctx: ctx.correlationId,
          seen: currentCorrelation()?.correlationId ?? 'none',
          published: envelope.correlationid ?? 'none',
          causation: envelope.causationid ?? 'none',
          requestId: ctx.requestId,
          inner: inner.correlationId,
          caller: ctx.caller,
        };
      });
      const result = await withCorrelation('corr-42', () => client.call(Outer, { id: 'x' }));
      expect(result).toMatchObject({ ctx: 'corr-42', seen: 'corr-42', published: 'corr-42', inner: 'corr-42', caller: 'client' });
      expect(result.causation).toBe(result.requestId);
      // With no context, the request id starts the correlation.
      const fresh = await client.call(Outer, { id: 'y' });
      expect(fresh.ctx).toBe(fresh.requestId);
    });

    it('answers undecodable request bytes with a fail reply and keeps serving', async () => {
      const Ping = defineProcedure({ name: n('ping'), input: z.object({}), output: z.literal('pong') });
      await server.serve(Ping, () => 'pong' as const);
      for (const bytes of [
        Buffer.from([0xff, 0xfe, 0x00]),
        Buffer.from('{"procedure":"x"'),
        Buffer.from('{"__proto__":{"polluted":true},"procedure":"x","deadline":1e15,"correlationid":"c"}'),
      ]) {
        const reply = await clientTransport.request(
          { destination: { kind: 'queue', queue: Ping.queue }, body: bytes, messageId: `bad-${Math.random()}`, contentType: 'application/json', headers: {} },
          { timeoutMs: 3000 },
        );
        const body = JSON.parse(Buffer.from(reply.body).toString('utf8')) as { status: string; data: { code: string } };
        expect(body.status).toBe('fail');
        expect(body.data.code).toBe('RPC_PROTOCOL');
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      await expect(client.call(Ping, {})).resolves.toBe('pong');
      expect(new RpcProtocolError('x').code).toBe('RPC_PROTOCOL');
    });

    it('rejects with the signal reason when the call is aborted', async () => {
      const Hang = defineProcedure({ name: n('hang'), input: z.object({}), output: z.object({}) });
      await server.serve(Hang, async () => {
        await sleep(500);
        return {};
      });
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('user went away')), 50);
      await expect(client.call(Hang, {}, { signal: controller.signal })).rejects.toThrow('user went away');
    });

    it('loader: 1,000 lookups issued at once take one call; duplicates are sent once; missing keys give null', async () => {
      const Customers = defineProcedure({
        name: n('customers'),
        input: z.array(z.string()),
        output: z.array(z.object({ id: z.string(), name: z.string() })),
      });
      const batches: string[][] = [];
      await server.serve(Customers, (ids) => {
        batches.push(ids);
        return ids
          .filter((id) => !id.endsWith('7'))
          .map((id) => ({ id, name: `Customer ${id}` }))
          .reverse();
      });
      const loader = client.loader(Customers, { key: 'id' });
      const keys = Array.from({ length: 1000 }, (_, i) => `c${i % 400}`);
      const items = await Promise.all(keys.map((key) => loader.load(key)));
      expect(batches).toHaveLength(1);
      expect(loader.calls).toBe(1);
      expect(batches[0]).toHaveLength(400);
      items.forEach((item, i) => {
        const key = keys[i]!;
        if (key.endsWith('7')) expect(item).toBeNull();
        else expect(item).toEqual({ id: key, name: `Customer ${key}` });
      });
    });

    it('README example: 500 orders with their remote customers make one call', async () => {
      const GetCustomers = defineProcedure({
        name: n('getCustomers'),
        input: z.object({ ids: z.array(z.string()) }),
        output: z.object({ customers: z.array(z.object({ id: z.string(), name: z.string() })) }),
      });
      let calls = 0;
      await server.serve(GetCustomers, ({ ids }) => {
        calls++;
        return { customers: ids.map((id) => ({ id, name: `Name of ${id}` })) };
      });
      const customers = client.loader(GetCustomers, {
        key: 'id',
        input: (ids: string[]) => ({ ids }),
        items: (output) => output.customers,
      });
      const orders = Array.from({ length: 500 }, (_, i) => ({ id: `o${i}`, customerId: `c${i % 50}` }));
      const serialised = await Promise.all(orders.map(async (order) => ({ ...order, customer: await customers.load(order.customerId) })));
      expect(calls).toBe(1);
      expect(serialised[123]).toEqual({ id: 'o123', customerId: 'c23', customer: { id: 'c23', name: 'Name of c23' } });
      // The same with merge: one call, then a local join.
      const { customers: list } = await client.call(GetCustomers, { ids: [...new Set(orders.map((o) => o.customerId))] });
      const rows = merge(orders, list, { localKey: 'customerId', remoteKey: 'id', as: 'customer' });
      expect(calls).toBe(2);
      expect(rows.every((row) => row.customer?.id === row.customerId)).toBe(true);
    });

    it('stop() waits for requests in flight, then refuses new calls', async () => {
      const t = await makeTransport();
      const own = createRpc({ transport: t, service: 'stopper' });
      const caller = label === 'memory' ? own : createRpc({ transport: clientTransport, service: 'c2' });
      const Work = defineProcedure({ name: n('work'), input: z.object({}), output: z.string() });
      let done = 0;
      await own.serve(Work, async () => {
        await sleep(300);
        done++;
        return 'done';
      });
      const pending = caller.call(Work, {});
      await sleep(100);
      await own.stop();
      expect(done).toBe(1);
      await expect(pending).resolves.toBe('done');
      await expect(own.call(Work, {})).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
      await own.stop(); // twice is fine
      if (caller !== own) await caller.stop();
      await t.close();
    });
    it("bgtasks wire: a plain-JSON request with reply-to (what bgtasks' RPCClient sends) to the route's own queue gets { status, data }", async () => {
      const name = n('bgtasks.serve');
      queues.add(name);
      const Images = defineProcedure({
        name,
        input: z.object({ pks: z.array(z.number()) }),
        output: z.array(z.object({ id: z.number(), path: z.string() })),
        wire: 'bgtasks',
      });
      expect(Images.queue).toBe(name);
      await server.serve(Images, ({ pks }) => {
        if (pks.length === 0) throw new RemoteError(name, 'EMPTY', 'no pks given');
        return pks.map((id) => ({ id, path: `/img/${id}.jpg` }));
      });
      const ask = async (input: unknown): Promise<unknown> => {
        const reply = await clientTransport.request(
          {
            destination: { kind: 'queue', queue: name },
            body: Buffer.from(JSON.stringify(input)),
            messageId: '',
            contentType: 'application/json',
            headers: {},
          },
          { timeoutMs: 5000 },
        );
        return JSON.parse(Buffer.from(reply.body).toString('utf8'));
      };
      expect(await ask({ pks: [1, 2] })).toEqual({
        status: 'success',
        data: [
          { id: 1, path: '/img/1.jpg' },
          { id: 2, path: '/img/2.jpg' },
        ],
      });
      expect(await ask({ pks: [] })).toEqual({ status: 'fail', data: { code: 'EMPTY', message: 'no pks given' } });
      expect(await ask({ pks: 'x' })).toMatchObject({ status: 'fail', data: { code: 'VALIDATION_FAILED' } });
      // And Metro's own client speaks it too.
      expect(await client.call(Images, { pks: [3] })).toEqual([{ id: 3, path: '/img/3.jpg' }]);
    });

    it('bgtasks wire: calling a responder that answers as bgtasks handlers do ({ status, data }, a fail with errors, a bare value)', async () => {
      const name = n('bgtasks.call');
      queues.add(name);
      const AddUser = defineProcedure({ name, input: z.object({ username: z.string() }), output: z.unknown(), wire: 'bgtasks' });
      await serverTransport.declareQueue({ queue: name, temporary: true });
      const bodies: unknown[] = [];
      const consumer = await serverTransport.consume(name, async (delivery) => {
        const input = JSON.parse(Buffer.from(delivery.body).toString('utf8')) as { username: string };
        bodies.push(input);
        const answer =
          input.username === 'tom'
            ? { status: 'success', data: { id: 1 } }
            : input.username === ''
              ? { status: 'fail', data: { username: ['This field is required'] } }
              : 42;
        await delivery.reply?.({ body: Buffer.from(JSON.stringify(answer)), contentType: 'application/json', headers: {} });
        await delivery.ack();
      });
      const Nobody = defineProcedure({ name: n('bgtasks.nobody'), input: z.object({}), output: z.unknown(), wire: 'bgtasks' });
      const missing = await client.call(Nobody, {}).catch((err: unknown) => err);
      expect(missing).toBeInstanceOf(NoResponderError);
      expect((missing as Error).message).toContain(`(queue ${Nobody.name} does not exist)`);
      try {
        expect(await client.call(AddUser, { username: 'tom' })).toEqual({ id: 1 });
        expect(await client.call(AddUser, { username: 'bob' })).toBe(42);
        const failure = await client.call(AddUser, { username: '' }).catch((err: unknown) => err);
        expect(failure).toBeInstanceOf(RemoteError);
        expect(failure).toMatchObject({ code: 'HANDLER_FAILED', details: { data: { username: ['This field is required'] } } });
        expect(bodies).toEqual([{ username: 'tom' }, { username: 'bob' }, { username: '' }]);
      } finally {
        await consumer.cancel();
      }
    });
  });
}
