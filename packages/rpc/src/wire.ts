import { DecodeError, decodeUtf8, parseJsonSafely, toError } from '@metro/core';
import { OutputNotSerializableError, RpcProtocolError, type RpcErrorCode } from './errors.js';

/** Content type of RPC requests and replies. */
export const RPC_CONTENT_TYPE = 'application/json';

/** The body of a request on the wire. */
export interface RpcRequestBody {
  /** The procedure's name (also implied by the queue). */
  readonly procedure: string;
  /** The raw input, as the caller passed it (the server validates and parses it). */
  readonly input: unknown;
  /** Unix ms after which the caller no longer waits: the server does not execute the request. */
  readonly deadline: number;
  /** The caller's service name. */
  readonly source: string;
  readonly correlationid: string;
  readonly causationid?: string | undefined;
  readonly traceparent?: string | undefined;
}

/** The failure half of a reply. */
export interface RpcFailure {
  readonly code: string;
  readonly message: string;
  readonly details?: Record<string, unknown> | undefined;
}

/** The body of a reply on the wire. */
export type RpcReplyBody = { readonly status: 'success'; readonly data: unknown } | { readonly status: 'fail'; readonly data: RpcFailure };

/** Encodes a request body. */
export function encodeRequest(body: RpcRequestBody): Uint8Array {
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** Encodes a reply body. Output that JSON cannot represent becomes a `fail` reply. */
export function encodeReply(body: RpcReplyBody): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (err) {
    return encodeReply(failureOf(new OutputNotSerializableError(err)));
  }
  // JSON.stringify({ data: undefined }) drops the key; keep the shape explicit.
  return Buffer.from(text ?? '{"status":"success","data":null}', 'utf8');
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new RpcProtocolError(`${what} is not a JSON object.`);
  return value as Record<string, unknown>;
}

function parse(bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    return asObject(parseJsonSafely(decodeUtf8(bytes)), what);
  } catch (err) {
    if (err instanceof DecodeError) throw new RpcProtocolError(`${what} could not be decoded: ${err.message}.`, { cause: err });
    throw err;
  }
}

/** Decodes and checks a request body; throws `RpcProtocolError` for anything else. */
export function decodeRequest(bytes: Uint8Array): RpcRequestBody {
  const body = parse(bytes, 'RPC request');
  if (typeof body.procedure !== 'string') throw new RpcProtocolError('RPC request has no "procedure" string.');
  if (typeof body.deadline !== 'number' || !Number.isFinite(body.deadline)) throw new RpcProtocolError('RPC request has no numeric "deadline".');
  if (typeof body.correlationid !== 'string' || body.correlationid === '') throw new RpcProtocolError('RPC request has no "correlationid".');
  for (const key of ['source', 'causationid', 'traceparent'] as const) {
    if (body[key] !== undefined && typeof body[key] !== 'string') throw new RpcProtocolError(`RPC request "${key}" must be a string.`);
  }
  // The freshly parsed object is returned as it is (no copy): one object less per request.
  if (body.source === undefined) body.source = 'unknown';
  return body as unknown as RpcRequestBody;
}

/** Decodes and checks a reply body; throws `RpcProtocolError` for anything else. */
export function decodeReply(bytes: Uint8Array): RpcReplyBody {
  const body = parse(bytes, 'RPC reply');
  if (body.status === 'success') return { status: 'success', data: body.data ?? null };
  if (body.status === 'fail') {
    const data = asObject(body.data, 'RPC failure "data"');
    if (typeof data.code !== 'string' || typeof data.message !== 'string') throw new RpcProtocolError('RPC failure has no "code" and "message" strings.');
    const details = data.details === undefined || data.details === null ? undefined : asObject(data.details, 'RPC failure "details"');
    return { status: 'fail', data: { code: data.code, message: data.message, details } };
  }
  throw new RpcProtocolError('RPC reply "status" must be "success" or "fail".');
}

/** The `fail` reply for anything a handler threw. */
export function failureOf(thrown: unknown): { status: 'fail'; data: RpcFailure } {
  const err = toError(thrown);
  const own = err as Error & { code?: unknown; details?: unknown };
  const code = typeof own.code === 'string' && own.code !== '' ? own.code : ('HANDLER_FAILED' satisfies RpcErrorCode);
  const details = own.details !== null && typeof own.details === 'object' && !Array.isArray(own.details) ? (own.details as Record<string, unknown>) : undefined;
  return { status: 'fail', data: { code, message: err.message, ...(details !== undefined ? { details: jsonSafe(details) } : {}) } };
}

function jsonSafe(details: Record<string, unknown>): Record<string, unknown> | undefined {
  try {
    return JSON.parse(JSON.stringify(details)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
