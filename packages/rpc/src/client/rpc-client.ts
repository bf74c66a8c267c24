import { randomUUID } from 'node:crypto';
import {
  currentCorrelation,
  isThenable,
  validateNow,
  RequestTimeoutError,
  UnroutableError,
  type Duration,
  type HeaderValue,
  type ReplyMessage,
  type Transport,
} from '@metro/core';
import { messagingSystemOf } from '@metro/core/telemetry';
import { NoResponderError, RemoteError, RpcTimeoutError } from '../errors.js';
import type { AnyProcedure, ProcedureInput, ProcedureOutput } from '../procedure/procedure.js';
import { rpcWireFormat } from '../wire-formats.js';
import { RPC_CONTENT_TYPE } from '../wire.js';
import { beginRpcCall, endRpcCall, type RpcTelemetry } from '../rpc-telemetry.js';

/** Options of one call. */
export interface CallOptions {
  /** Give up after this long (ms or `'5s'`). Default: the rpc's `defaultTimeout` (10 s). */
  readonly timeout?: Duration;
  /** Abort the call (the promise rejects with the signal's reason). */
  readonly signal?: AbortSignal;
  /** Extra transport headers. */
  readonly headers?: Readonly<Record<string, HeaderValue>>;
}

/**
 * Calls a procedure over `transport` and returns its validated output. Used by `rpc.call`;
 * exported for code that has a transport but no rpc.
 *
 * Throws `ValidationError` (bad input, nothing sent; or bad output), `NoResponderError`,
 * `RpcTimeoutError`, `RemoteError`, or the signal's reason.
 *
 * @example
 * ```ts
 * const customer = await callProcedure(transport, GetCustomer, { id: 'c1' }, { timeoutMs: 2000, source: 'orders' });
 * ```
 */
export function callProcedure<P extends AnyProcedure>(
  transport: Transport,
  procedure: P,
  input: ProcedureInput<P>,
  options: { timeoutMs: number; source: string; signal?: AbortSignal | undefined; headers?: Readonly<Record<string, HeaderValue>> | undefined },
): Promise<ProcedureOutput<P>> {
  // No async function here: with a synchronous schema the whole call costs one promise (the
  // transport's), which matters at low latency (every await is a tick plus async-hook work).
  try {
    const checked = validateNow(procedure.input, input, `Input of procedure "${procedure.name}"`);
    if (isThenable(checked)) return Promise.resolve(checked).then(() => send(transport, procedure, input, options));
    return send(transport, procedure, input, options);
  } catch (err) {
    return Promise.reject(err);
  }
}

function send<P extends AnyProcedure>(
  transport: Transport,
  procedure: P,
  input: ProcedureInput<P>,
  options: { timeoutMs: number; source: string; signal?: AbortSignal | undefined; headers?: Readonly<Record<string, HeaderValue>> | undefined },
): Promise<ProcedureOutput<P>> {
  const now = Date.now();
  // A random UUID: request ids need no time order, and randomUUID is pooled (core's uuidv7 costs ~9 µs).
  const requestId = randomUUID();
  const context = currentCorrelation();
  const call = beginRpcCall(procedure.name, messagingSystemOf(transport.name), options.headers);
  const wire = rpcWireFormat(procedure.wire);
  const body = wire.encodeRequest({
    procedure: procedure.name,
    input,
    deadline: now + options.timeoutMs,
    source: options.source,
    correlationid: context?.correlationId ?? requestId,
    causationid: context?.causationId,
    traceparent: call?.span?.traceparent ?? context?.traceparent,
  });
  const result = transport
    .request(
      {
        destination: { kind: 'queue', queue: procedure.queue },
        body,
        messageId: requestId,
        contentType: RPC_CONTENT_TYPE,
        headers: call?.headers ?? options.headers ?? {},
        timestamp: now,
        // The broker drops a request nobody picked up before the caller gave up.
        expiresInMs: Math.max(1, options.timeoutMs),
      },
      { timeoutMs: options.timeoutMs, signal: options.signal },
    )
    .then(
      (reply: ReplyMessage) => {
        const result = wire.decodeReply(reply.body, procedure.name);
        if (result.status === 'fail') {
          throw new RemoteError(procedure.name, result.data.code, result.data.message, result.data.details);
        }
        return validateNow(procedure.output, result.data, `Output of procedure "${procedure.name}"`) as ProcedureOutput<P> | Promise<ProcedureOutput<P>>;
      },
      (err: unknown) => {
        if (err instanceof UnroutableError) throw new NoResponderError(procedure.name, { cause: err, queue: procedure.queue });
        if (err instanceof RequestTimeoutError && !(err instanceof RpcTimeoutError))
          throw new RpcTimeoutError(procedure.name, options.timeoutMs, procedure.queue);
        throw err;
      },
    );
  return call === undefined ? result : endWith(result, call);
}

/** Ends the call's span and records its duration when the call settles (the output validated or not). */
function endWith<T>(result: Promise<T>, call: RpcTelemetry): Promise<T> {
  return result.then(
    (value) => {
      endRpcCall(call);
      return value;
    },
    (err: unknown) => {
      endRpcCall(call, err);
      throw err;
    },
  );
}
