import type { ScheduledMessage } from '@metro/scheduler';
import type { DeferredRecord, FailureRecord, FailureReason, FailureStatus, HeaderValue, RecordedError } from '@metro/core';

/** A failed message as listed: everything but the bytes, the envelope and the stack. */
export interface FailureSummary {
  readonly id: string;
  readonly messageId: string;
  readonly service: string;
  readonly queue: string;
  readonly handler: string | null;
  readonly reason: FailureReason;
  readonly type: string | null;
  readonly topic: string | null;
  readonly correlationId: string | null;
  /** The OpenTelemetry trace the message failed in (32 hex digits), or `null`. */
  readonly traceId: string | null;
  readonly status: FailureStatus;
  readonly error: { readonly name: string; readonly code: string | null; readonly message: string };
  readonly attempts: number;
  readonly retryCount: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  readonly retriedAt: string | null;
  readonly resolvedAt: string | null;
}

/** A JSON value as it travels over the admin API. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A failed message in full: headers, envelope, payload, body and stack. */
export interface FailureDetail extends FailureSummary {
  readonly error: { readonly name: string; readonly code: string | null; readonly message: string; readonly stack: string | null };
  readonly contentType: string;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** The decoded envelope, or `null` when the bytes could not be decoded. */
  readonly envelope: JsonValue | null;
  /** The envelope's `data` (what "edit and retry" edits), or `null`. */
  readonly payload: JsonValue | null;
  /** The bytes as received: UTF-8 text when they are text, else base64. */
  readonly body: string;
  readonly bodyEncoding: 'utf8' | 'base64';
  /** `true` when the caller may not read payloads (a viewer): `envelope` and `payload` are `null`, `body` empty. */
  readonly payloadHidden: boolean;
}

/** A message a handler deferred with `ctx.defer()`. */
export interface DeferredDto {
  readonly seq: number;
  readonly messageId: string;
  readonly service: string;
  readonly queue: string;
  readonly handler: string | null;
  readonly type: string;
  readonly reason: string | null;
  readonly correlationId: string | null;
  readonly deferredAt: string;
  readonly payload: JsonValue | null;
  readonly headers: Readonly<Record<string, HeaderValue>>;
  /** `true` when the caller may not read payloads (a viewer): `payload` is `null`. */
  readonly payloadHidden: boolean;
}

/** A scheduled message. */
export interface ScheduledDto {
  readonly id: string;
  readonly type: string;
  /** `topic.type` for events, `service:type` for commands. */
  readonly name: string;
  readonly kind: 'event' | 'command';
  readonly status: 'pending' | 'fired' | 'cancelled';
  readonly dueAt: string;
  /** Tags, each in its string form. */
  readonly tags: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly firedAt: string | null;
  readonly cancelledAt: string | null;
  readonly payload: JsonValue | null;
  /** `true` when the caller may not read payloads (a viewer): `payload` is `null`. */
  readonly payloadHidden: boolean;
}

/** One page of a listing; pass `nextCursor` back as `cursor`. */
export interface PageDto<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function iso(date: Date | string | null | undefined): string | null {
  if (date === null || date === undefined) return null;
  return (date instanceof Date ? date : new Date(date)).toISOString();
}

/** Round-trips through JSON so only plain JSON reaches the wire (no Dates, no prototypes). */
export function toJson(value: unknown): JsonValue | null {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as JsonValue;
  } catch {
    return null;
  }
}

function errorOf(error: RecordedError): { name: string; code: string | null; message: string } {
  return { name: error.name, code: error.code ?? null, message: error.message };
}

export function toFailureSummary(record: FailureRecord): FailureSummary {
  return {
    id: record.id,
    messageId: record.messageId,
    service: record.service,
    queue: record.queue,
    handler: record.handler,
    reason: record.reason,
    type: record.type,
    topic: record.topic,
    correlationId: record.correlationId,
    traceId: record.traceId ?? null,
    status: record.status,
    error: errorOf(record.error),
    attempts: record.attempts,
    retryCount: record.retryCount,
    firstFailedAt: iso(record.firstFailedAt) ?? '',
    lastFailedAt: iso(record.lastFailedAt) ?? '',
    retriedAt: iso(record.retriedAt),
    resolvedAt: iso(record.resolvedAt),
  };
}

export function toFailureDetail(record: FailureRecord): FailureDetail {
  let body: string;
  let bodyEncoding: 'utf8' | 'base64' = 'utf8';
  try {
    body = decoder.decode(record.body);
  } catch {
    body = Buffer.from(record.body).toString('base64');
    bodyEncoding = 'base64';
  }
  return {
    ...toFailureSummary(record),
    error: { ...errorOf(record.error), stack: record.error.stack ?? null },
    contentType: record.contentType,
    headers: { ...record.headers },
    envelope: record.envelope === null ? null : toJson(record.envelope),
    payload: record.envelope === null ? null : toJson(record.envelope.data),
    body,
    bodyEncoding,
    payloadHidden: false,
  };
}

export function toDeferredDto(record: DeferredRecord): DeferredDto {
  return {
    seq: Number(record.seq),
    messageId: record.messageId,
    service: record.service,
    queue: record.queue,
    handler: record.handler,
    type: record.type,
    reason: record.reason,
    correlationId: record.correlationId,
    deferredAt: iso(record.deferredAt) ?? '',
    payload: toJson(record.envelope.data),
    headers: { ...record.headers },
    payloadHidden: false,
  };
}

export function toScheduledDto(message: ScheduledMessage): ScheduledDto {
  return {
    id: message.id,
    type: message.type,
    name: message.name,
    kind: message.kind,
    status: message.status,
    dueAt: iso(message.dueAt) ?? '',
    tags: { ...message.tags },
    createdAt: iso(message.createdAt) ?? '',
    firedAt: iso(message.firedAt),
    cancelledAt: iso(message.cancelledAt),
    payload: toJson(message.envelope.data),
    payloadHidden: false,
  };
}

export { iso };

/** An item with its payload removed, for callers that may not read payloads. */
export function hidePayload<T extends { payload: JsonValue | null; payloadHidden: boolean }>(item: T): T {
  return { ...item, payload: null, payloadHidden: true };
}
