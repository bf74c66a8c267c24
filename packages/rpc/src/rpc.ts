import { ConfigurationError, defaultLogger, toMilliseconds, TransportClosedError, type Duration, type Logger, type Transport } from '@metro/core';
import { createLoader, type Loader, type LoaderItemOf, type LoaderKey, type LoaderKeyOf, type LoaderOptions } from './loader/loader.js';
import { callProcedure, type CallOptions } from './client/rpc-client.js';
import type { ProcedureHandler } from './procedure/procedure-context.js';
import type { AnyProcedure, ProcedureInput, ProcedureOutput } from './procedure/procedure.js';
import { serveProcedure, type ServedProcedure, type ServeOptions } from './server/rpc-server.js';

export interface RpcOptions {
  /** The transport requests and replies travel on. The rpc does not close it. */
  readonly transport: Transport;
  /** This service's name (sent as the caller's name, used in logs). */
  readonly service: string;
  /** Pino-compatible logger. Default: core's `defaultLogger` (warnings and errors to stderr). */
  readonly logger?: Logger;
  /** Requests one served procedure executes at once. Default 16. */
  readonly concurrency?: number;
  /** Timeout of calls that pass none. Default `'10s'`. */
  readonly defaultTimeout?: Duration;
}

/** Serves and calls procedures over one transport. */
export interface Rpc {
  /**
   * Serves `procedure` from its queue `rpc.<name>`: each request's input is validated, `handler`
   * runs (inside the caller's correlation), and its result or error is sent back.
   */
  serve<P extends AnyProcedure>(procedure: P, handler: ProcedureHandler<P>, options?: ServeOptions): Promise<ServedProcedure>;
  /** Calls `procedure` and returns its validated output. */
  call<P extends AnyProcedure>(procedure: P, input: ProcedureInput<P>, options?: CallOptions): Promise<ProcedureOutput<P>>;
  /** A loader that batches the keys asked for in one tick into one call of `procedure`. */
  loader<P extends AnyProcedure, K extends LoaderKey = LoaderKeyOf<P>, Item = LoaderItemOf<P>>(
    procedure: P,
    options: LoaderOptions<P, K, Item>,
  ): Loader<K, Item>;
  /** Stops serving (waits for requests in flight) and waits for calls in flight. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Creates the RPC endpoint of a service: `serve` procedures, `call` other services' procedures,
 * and batch lookups with `loader`.
 *
 * @example
 * ```ts
 * const rpc = createRpc({ transport: new AmqpTransport({ url }), service: 'orders' });
 * await rpc.serve(GetCustomer, async ({ id }) => customers.get(id));
 * const customer = await rpc.call(GetCustomer, { id: 'c1' }, { timeout: '2s' });
 * await rpc.stop();
 * ```
 */
export function createRpc(options: RpcOptions): Rpc {
  const { transport, service } = options;
  const logger = options.logger ?? defaultLogger;
  const concurrency = options.concurrency ?? 16;
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new ConfigurationError(`createRpc: concurrency must be a positive integer, got ${String(options.concurrency)}.`);
  const defaultTimeoutMs = toMilliseconds(options.defaultTimeout ?? '10s');
  const served = new Map<string, ServedProcedure | Promise<ServedProcedure>>();
  const inFlight = new Set<Promise<unknown>>();
  let stopping: Promise<void> | undefined;
  // Connect once before the first call, so it does not wait for a lazily opened connection.
  let started = false;
  let starting: Promise<void> | undefined;
  const ensureStarted = (): Promise<void> | undefined => {
    if (started) return undefined;
    starting ??= transport.start().then(
      () => {
        started = true;
      },
      (err: unknown) => {
        starting = undefined;
        throw err;
      },
    );
    return starting;
  };

  const call = <P extends AnyProcedure>(procedure: P, input: ProcedureInput<P>, callOptions: CallOptions = {}): Promise<ProcedureOutput<P>> => {
    if (stopping) return Promise.reject(new TransportClosedError(`rpc of "${service}" is stopped; create a new one to call "${procedure.name}".`));
    const send = (): Promise<ProcedureOutput<P>> =>
      callProcedure(transport, procedure, input, {
        timeoutMs: callOptions.timeout === undefined ? defaultTimeoutMs : toMilliseconds(callOptions.timeout),
        source: service,
        signal: callOptions.signal,
        headers: callOptions.headers,
      });
    const connecting = ensureStarted();
    const promise = connecting ? connecting.then(send) : send();
    inFlight.add(promise);
    const forget = (): void => {
      inFlight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  };

  return {
    async serve(procedure, handler, serveOptions = {}) {
      if (stopping) throw new ConfigurationError(`rpc of "${service}" is stopped; it cannot serve "${procedure.name}".`);
      if (served.has(procedure.name)) throw new ConfigurationError(`Procedure "${procedure.name}" is already served by this rpc; serve each procedure once.`);
      const starting = serveProcedure(transport, procedure, handler, {
        logger,
        concurrency: serveOptions.concurrency ?? concurrency,
        ...(serveOptions.prefetch !== undefined ? { prefetch: serveOptions.prefetch } : {}),
        ...(serveOptions.durable !== undefined ? { durable: serveOptions.durable } : {}),
      });
      served.set(procedure.name, starting);
      try {
        const inner = await starting;
        // Stopping one procedure frees its name, so it can be served again.
        const handle: ServedProcedure = {
          procedure: inner.procedure,
          stats: inner.stats,
          stop: async () => {
            await inner.stop();
            if (served.get(procedure.name) === handle) served.delete(procedure.name);
          },
        };
        served.set(procedure.name, handle);
        return handle;
      } catch (err) {
        served.delete(procedure.name);
        throw err;
      }
    },
    call,
    loader(procedure, loaderOptions) {
      return createLoader((input, timeout) => call(procedure, input, timeout === undefined ? {} : { timeout }), loaderOptions);
    },
    stop() {
      stopping ??= (async () => {
        const handles = await Promise.allSettled([...served.values()]);
        await Promise.allSettled(handles.flatMap((h) => (h.status === 'fulfilled' ? [h.value.stop()] : [])));
        await Promise.allSettled([...inFlight]);
      })();
      return stopping;
    },
  };
}
