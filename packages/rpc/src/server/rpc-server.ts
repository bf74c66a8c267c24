import {
  childLogger,
  isThenable,
  runWithCorrelation,
  validateNow,
  type Consumer,
  type Delivery,
  type HeaderValue,
  type Logger,
  type Transport,
} from '@metro/core';
import { messagingSystemOf } from '@metro/core/telemetry';
import type { ProcedureHandler } from '../procedure/procedure-context.js';
import type { AnyProcedure, ProcedureParsedInput } from '../procedure/procedure.js';
import { rpcWireFormat } from '../wire-formats.js';
import { encodeReply, failureOf, RPC_CONTENT_TYPE, type RpcReplyBody, type RpcRequestBody } from '../wire.js';
import { RequestContext } from './request-context.js';
import { beginRpcServe, endRpcServe } from '../rpc-telemetry.js';

/** The headers of a reply sent outside a span. */
const NO_HEADERS: Readonly<Record<string, HeaderValue>> = Object.freeze({});

/** Counters of one served procedure. */
export interface ServedProcedureStats {
  /** Requests answered with `success`. */
  readonly succeeded: number;
  /** Requests answered with `fail` (handler threw, bad input, undecodable request). */
  readonly failed: number;
  /** Requests picked up after their caller's deadline: not executed, not answered. */
  readonly expired: number;
}

/** A procedure being served; `stop()` stops taking requests and waits for those in flight. */
export interface ServedProcedure {
  readonly procedure: string;
  readonly stats: ServedProcedureStats;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Requests of this procedure executed at once. Default: the rpc's `concurrency` (16). */
  readonly concurrency?: number;
  /** Requests the broker pushes ahead of the handler. Default: the transport's. */
  readonly prefetch?: number;
  /**
   * Keep the procedure's queue when no instance serves it, so requests wait through a restart
   * (callers then time out instead of getting `NoResponderError`). Default `false`: the queue is
   * temporary (on RabbitMQ non-durable and auto-deleted with its last consumer), which spares the
   * broker a disk write per request.
   */
  readonly durable?: boolean;
}

/**
 * Declares `rpc.<name>` and answers its requests with `handler`, up to `concurrency` at once.
 * Used by `rpc.serve`; exported for code that has a transport but no rpc.
 *
 * @example
 * ```ts
 * const served = await serveProcedure(transport, GetCustomer, async ({ id }) => db.customer(id), { logger, concurrency: 8 });
 * await served.stop();
 * ```
 */
export async function serveProcedure<P extends AnyProcedure>(
  transport: Transport,
  procedure: P,
  handler: ProcedureHandler<P>,
  options: ServeOptions & { logger: Logger; concurrency: number },
): Promise<ServedProcedure> {
  const logger = childLogger(options.logger, { procedure: procedure.name });
  const stats = { succeeded: 0, failed: 0, expired: 0 };
  const wire = rpcWireFormat(procedure.wire);
  const system = messagingSystemOf(transport.name);

  // The reply is sent without waiting for the broker's confirm: the slot is freed at once (a reply
  // is not durable anyway; if it is lost the caller times out). The transport's close() still
  // waits for outstanding confirms.
  const reply = (delivery: Delivery, body: RpcReplyBody, headers: Readonly<Record<string, HeaderValue>>): void => {
    if (body.status === 'success') stats.succeeded++;
    else stats.failed++;
    const failed = (err: unknown): void => {
      logger.warn({ err, requestId: delivery.messageId }, 'RPC reply could not be sent; the caller will time out');
    };
    try {
      delivery.reply?.({ body: encodeReply(body), contentType: RPC_CONTENT_TYPE, headers }).catch(failed);
    } catch (err) {
      failed(err);
    }
  };

  const succeeded = (data: unknown): RpcReplyBody => ({ status: 'success', data: data === undefined ? null : data });

  const failed = (err: unknown, request: RpcRequestBody, delivery: Delivery): RpcReplyBody => {
    logger.debug({ err, requestId: delivery.messageId, correlationId: request.correlationid }, 'RPC handler failed');
    return failureOf(err);
  };

  const run = (input: unknown, request: RpcRequestBody, delivery: Delivery): RpcReplyBody | PromiseLike<RpcReplyBody> => {
    const ctx = new RequestContext(procedure.name, delivery.messageId, request.correlationid, request.source, request.deadline, logger);
    const data = handler(input as ProcedureParsedInput<P>, ctx);
    return isThenable(data) ? Promise.resolve(data).then(succeeded, (err: unknown) => failed(err, request, delivery)) : succeeded(data);
  };

  // Synchronous as far as the schema and the handler are: a sync handler's request costs no
  // promise of its own (every await is a tick plus async-hook work under the correlation context),
  // and no closure: at high rates the garbage collector is a fifth of the server's CPU.
  const execute = (request: RpcRequestBody, delivery: Delivery): RpcReplyBody | PromiseLike<RpcReplyBody> => {
    try {
      const input = validateNow(procedure.input, request.input, `Input of procedure "${procedure.name}"`);
      if (isThenable(input)) {
        return Promise.resolve(input)
          .then((parsed) => run(parsed, request, delivery))
          .then(undefined, (err: unknown) => failed(err, request, delivery));
      }
      return run(input, request, delivery);
    } catch (err) {
      return failed(err, request, delivery);
    }
  };

  const answer = (delivery: Delivery, body: RpcReplyBody, headers: Readonly<Record<string, HeaderValue>> = NO_HEADERS): Promise<void> => {
    reply(delivery, body, headers);
    return delivery.ack();
  };

  const onDelivery = (delivery: Delivery): Promise<void> => {
    try {
      return handle(delivery);
    } catch (err) {
      return Promise.reject(err);
    }
  };

  const handle = (delivery: Delivery): Promise<void> => {
    if (!delivery.reply) {
      logger.warn({ messageId: delivery.messageId }, `A message that is not a request reached ${procedure.queue}; dropped`);
      return delivery.ack();
    }
    let request: RpcRequestBody;
    try {
      request = wire.decodeRequest(delivery, procedure.name);
    } catch (err) {
      logger.warn({ err, messageId: delivery.messageId }, 'Undecodable RPC request');
      return answer(delivery, failureOf(err));
    }
    if (Date.now() > request.deadline) {
      stats.expired++;
      logger.debug({ requestId: delivery.messageId, correlationId: request.correlationid }, 'RPC request past its deadline; not executed');
      return delivery.ack();
    }
    const span = beginRpcServe(procedure.name, system, delivery.headers, request.traceparent);
    const run = (): RpcReplyBody | PromiseLike<RpcReplyBody> =>
      runWithCorrelation({ correlationId: request.correlationid, causationId: delivery.messageId, traceparent: request.traceparent }, () =>
        execute(request, delivery),
      );
    const body = span === undefined ? run() : span.run(run);
    if (span === undefined) return isThenable(body) ? Promise.resolve(body).then((settled) => answer(delivery, settled)) : answer(delivery, body);
    const traced = (settled: RpcReplyBody): Promise<void> => {
      // The reply carries the server span: a consumer-side instrumentation of the reply stays in the trace.
      const headers: Record<string, HeaderValue> = {};
      span.inject(headers);
      endRpcServe(span, settled);
      return answer(delivery, settled, headers);
    };
    return isThenable(body) ? Promise.resolve(body).then(traced) : traced(body);
  };

  // Connect first: the first reply must not wait for a lazily started publish connection.
  await transport.start();
  await transport.declareQueue({ queue: procedure.queue, temporary: options.durable !== true });
  const consumer: Consumer = await transport.consume(procedure.queue, onDelivery, {
    concurrency: options.concurrency,
    ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
  });
  logger.info({ queue: procedure.queue, concurrency: options.concurrency }, 'Serving procedure');
  return {
    procedure: procedure.name,
    stats,
    stop: () => consumer.cancel(),
  };
}
