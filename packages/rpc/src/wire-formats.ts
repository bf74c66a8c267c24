import { randomUUID } from 'node:crypto';
import { CORRELATION_HEADER, DecodeError, decodeUtf8, parseJsonSafely, type Delivery } from '@metro/core';
import { RpcProtocolError } from './errors.js';
import { decodeReply, decodeRequest, encodeRequest, type RpcFailure, type RpcReplyBody, type RpcRequestBody } from './wire.js';

/** The wire formats a procedure can speak: Metro's own, or bgtasks' (Python services on RabbitMQ). */
export type RpcWireName = 'metro' | 'bgtasks';

/** How a procedure's requests and replies look on the wire (replies are `{ status, data }` in both). */
export interface RpcWireFormat {
  readonly name: RpcWireName;
  /** The queue a procedure named `name` is served from. */
  queueOf(name: string): string;
  encodeRequest(body: RpcRequestBody): Uint8Array;
  /** Throws `RpcProtocolError` for a request it cannot read. */
  decodeRequest(delivery: Delivery, procedure: string): RpcRequestBody;
  /** Throws `RpcProtocolError` for a reply it cannot read. */
  decodeReply(bytes: Uint8Array, procedure: string): RpcReplyBody;
}

/** Metro's wire: queue `rpc.<name>`, a request envelope with a deadline and the caller's correlation. */
const metroWire: RpcWireFormat = {
  name: 'metro',
  queueOf: (name) => `rpc.${name}`,
  encodeRequest,
  decodeRequest: (delivery) => decodeRequest(delivery.body),
  decodeReply: (bytes) => decodeReply(bytes),
};

function parseAny(bytes: Uint8Array, what: string): unknown {
  try {
    return parseJsonSafely(decodeUtf8(bytes));
  } catch (err) {
    if (err instanceof DecodeError) throw new RpcProtocolError(`${what} could not be decoded: ${err.message}.`);
    throw err;
  }
}

function failureOfData(procedure: string, data: unknown): RpcFailure {
  const record = data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  if (record && typeof record.code === 'string' && typeof record.message === 'string') {
    const details = record.details !== null && typeof record.details === 'object' ? (record.details as Record<string, unknown>) : undefined;
    return { code: record.code, message: record.message, details };
  }
  return { code: 'HANDLER_FAILED', message: `Procedure "${procedure}" answered status "fail"; what it sent is in details.data.`, details: { data } };
}

/**
 * bgtasks' wire (`rpc_tasks(route)` and `RPCClient().call(route, body)`): the request is the
 * input itself as JSON, published to the queue named after the route through the default
 * exchange, with `reply_to` and `correlation_id`; the reply is what the handler returned, by
 * convention `{ status: 'success' | 'fail', data }`. A reply without a `status` is taken as the
 * data itself (bgtasks' client returns whatever came back); a `fail` reply becomes a
 * `RemoteError` whose `details.data` holds what the peer sent. Requests carry no deadline.
 */
const bgtasksWire: RpcWireFormat = {
  name: 'bgtasks',
  queueOf: (name) => name,
  encodeRequest: (body) => Buffer.from(JSON.stringify(body.input ?? null), 'utf8'),
  decodeRequest(delivery, procedure) {
    const input = parseAny(delivery.body, 'bgtasks request');
    const header = delivery.headers[CORRELATION_HEADER];
    const correlationid = typeof header === 'string' && header !== '' ? header : delivery.messageId !== '' ? delivery.messageId : randomUUID();
    return { procedure, input, deadline: Number.POSITIVE_INFINITY, source: 'bgtasks', correlationid };
  },
  decodeReply(bytes, procedure) {
    const value = parseAny(bytes, 'bgtasks reply');
    const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    if (record?.status === 'success') return { status: 'success', data: record.data ?? null };
    if (record?.status === 'fail') return { status: 'fail', data: failureOfData(procedure, record.data) };
    return { status: 'success', data: value };
  },
};

const FORMATS: Readonly<Record<RpcWireName, RpcWireFormat>> = { metro: metroWire, bgtasks: bgtasksWire };

/**
 * The wire format of a name; the procedure's `wire` picks it.
 *
 * @example
 * ```ts
 * rpcWireFormat('bgtasks').queueOf('user.add'); // 'user.add'
 * ```
 */
export function rpcWireFormat(name: RpcWireName): RpcWireFormat {
  return FORMATS[name];
}

/** True when `name` is a wire format Metro speaks. */
export function isRpcWireName(name: unknown): name is RpcWireName {
  return name === 'metro' || name === 'bgtasks';
}
