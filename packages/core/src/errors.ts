/**
 * Every code `@metro/core` raises, with what it means: the closed set behind {@link CoreErrorCode}.
 * Each core error class passes one of these keys to {@link MetroError}; other packages keep a
 * table of their own and extend `MetroError<TheirCode>`.
 *
 * @example
 * ```ts
 * if (err instanceof MetroError && err.code in CORE_ERROR_CODES) console.log(CORE_ERROR_CODES[err.code as CoreErrorCode]);
 * ```
 */
export const CORE_ERROR_CODES = {
  VALIDATION_FAILED: "A payload did not match its message definition's schema.",
  DECODE_FAILED: 'Bytes could not be turned into an envelope.',
  TRANSPORT_CLOSED: 'The transport is closed or closing.',
  UNROUTABLE: 'The broker had no queue to route a mandatory message to.',
  PUBLISH_FAILED: 'The broker did not confirm a published message.',
  HANDLER_TIMEOUT: 'A handler ran past its timeout.',
  MESSAGE_EXPIRED: 'A command arrived after its expiry.',
  MESSAGE_OVERSIZED: 'A delivery was bigger than maxMessageBytes.',
  NO_HANDLER: 'No handler for a command, or a replay named a handler the queue no longer has.',
  NON_ERROR_THROWN: 'A handler threw something that is not an Error.',
  CONFIGURATION: 'The API was used in a way it does not support.',
  REQUEST_TIMEOUT: 'A request got no reply within its timeout.',
  STOPPING: 'The bus stopped past its timeout and aborted a running handler.',
  DELIVERY_LIMIT: "The broker gave up redelivering a message: it reached its queue's delivery limit.",
  BATCH_ITEMS_FAILED: 'A batch handler failed some messages of its batch (the others succeeded).',
} as const;

/** A code `@metro/core` raises: a key of {@link CORE_ERROR_CODES}. */
export type CoreErrorCode = keyof typeof CORE_ERROR_CODES;

/**
 * Every error Metro raises is a `MetroError` with a stable `code`, so callers can branch on
 * `err.code` (or `instanceof`) and the admin API can group failures by it. `TCode` narrows the
 * code: core's classes use {@link CoreErrorCode}, other packages their own table.
 *
 * @example
 * ```ts
 * try { await metro.send(SendSms, payload); }
 * catch (err) { if (err instanceof ValidationError) console.log(err.issues); }
 * ```
 */
export class MetroError<TCode extends string = string> extends Error {
  /** Stable, machine-readable identifier of the error kind. */
  readonly code: TCode;
  /** Extra structured facts about the error (safe to log and to return over the wire). */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: TCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options?.details;
  }
}

/** One problem found by a schema, in Standard Schema's shape. */
export interface ValidationIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey>;
}

/** A payload did not match its message definition's schema (on publish, on consume, or RPC input/output). */
export class ValidationError extends MetroError<'VALIDATION_FAILED'> {
  readonly issues: ReadonlyArray<ValidationIssue>;
  constructor(what: string, issues: ReadonlyArray<ValidationIssue>) {
    const first = issues
      .slice(0, 3)
      .map((i) => `${i.path && i.path.length > 0 ? i.path.map(String).join('.') + ': ' : ''}${i.message}`)
      .join('; ');
    super('VALIDATION_FAILED', `${what} failed validation: ${first}. Fix the payload so it matches the schema.`, {
      details: { issues },
    });
    this.issues = issues;
  }
}

/** Bytes could not be turned into an envelope: not JSON, missing attributes, forbidden keys, too large. */
export class DecodeError extends MetroError<'DECODE_FAILED'> {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('DECODE_FAILED', message, options);
  }
}

/** The transport is closed (or closing): nothing more can be published or consumed on it. */
export class TransportClosedError extends MetroError<'TRANSPORT_CLOSED'> {
  constructor(message = 'The transport is closed. Create a new one, or call start() before publishing.') {
    super('TRANSPORT_CLOSED', message);
  }
}

/** The broker had no queue to route a (mandatory) message to: nothing would have received it. */
export class UnroutableError extends MetroError<'UNROUTABLE'> {
  constructor(destination: string) {
    super(
      'UNROUTABLE',
      `No queue is bound for ${destination}: the broker returned the message. Start the consuming service (it declares its queue) or check the topic and subject.`,
      { details: { destination } },
    );
  }
}

/**
 * The broker refused to take responsibility for a published message (publisher confirm nack), the
 * channel or connection was lost before its confirm, or the broker never answered in time. A
 * transport sets `details.nacked: true` when the broker refused this message (a nack) while the
 * connection stayed up: retrying it may fail the same way, where a lost connection is worth
 * waiting out.
 */
export class PublishError extends MetroError<'PUBLISH_FAILED'> {
  constructor(message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super('PUBLISH_FAILED', message, options);
  }
}

/**
 * The broker gave up redelivering a message: it was delivered and left unsettled (its consumer
 * crashed, lost its channel, or requeued it) as often as its queue's delivery limit allows. It is
 * recorded as a `delivery-limit` failure without running handlers; retry it from the failure store
 * once the cause is fixed.
 */
export class DeliveryLimitError extends MetroError<'DELIVERY_LIMIT'> {
  constructor(queue: string, messageId: string) {
    super(
      'DELIVERY_LIMIT',
      `Message "${messageId}" reached the delivery limit of queue "${queue}": it was delivered and never settled that many times (a consumer crashing on it, or losing its channel). Find why its handler never finishes, then retry the failure.`,
      { details: { queue, messageId } },
    );
  }
}

/** A handler ran past its `timeout`; the message is retried or recorded as failed by its retry policy. */
export class HandlerTimeoutError extends MetroError<'HANDLER_TIMEOUT'> {
  constructor(handler: string, timeoutMs: number) {
    super('HANDLER_TIMEOUT', `Handler "${handler}" did not settle within ${timeoutMs} ms. Raise its \`timeout\` option or make it finish sooner.`, {
      details: { handler, timeoutMs },
    });
  }
}

/** A command arrived after its `expiresat`; it was not executed. */
export class MessageExpiredError extends MetroError<'MESSAGE_EXPIRED'> {
  constructor(type: string, expiresAt: string) {
    super('MESSAGE_EXPIRED', `Command "${type}" expired at ${expiresAt} before it was handled; it was not executed.`, {
      details: { type, expiresAt },
    });
  }
}

/** A delivery bigger than the bus's `maxMessageBytes`: recorded as an `oversized` failure, its body kept truncated. */
export class MessageOversizedError extends MetroError<'MESSAGE_OVERSIZED'> {
  constructor(bytes: number, maxMessageBytes: number, keptBytes: number) {
    super(
      'MESSAGE_OVERSIZED',
      `Message of ${bytes} bytes exceeds maxMessageBytes (${maxMessageBytes}); the body is kept truncated to ${keptBytes} bytes. Send smaller messages or raise maxMessageBytes.`,
      { details: { bytes, maxMessageBytes } },
    );
  }
}

/**
 * A command reached a service that has no handler for its type; or a retry or replay names a
 * handler (`handler`) that its queue no longer has (renamed or removed).
 */
export class NoHandlerError extends MetroError<'NO_HANDLER'> {
  constructor(type: string, service: string, handler?: { readonly name: string; readonly queue: string }) {
    super(
      'NO_HANDLER',
      handler === undefined
        ? `Service "${service}" has no handler for command "${type}". Register one with metro.handle(...) or metro.handleBatch(...).`
        : `Queue "${handler.queue}" has no handler named "${handler.name}" (renamed or removed?). Retry the failure once a handler with that name exists.`,
      { details: { type, service, ...(handler === undefined ? {} : { handler: handler.name, queue: handler.queue }) } },
    );
  }
}

/** Wraps a non-Error value thrown by a handler (a string, an object, undefined) so it can be recorded. */
export class NonErrorThrown extends MetroError<'NON_ERROR_THROWN'> {
  readonly value: unknown;
  constructor(value: unknown) {
    let shown: string;
    try {
      shown = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
    } catch {
      shown = String(value);
    }
    super('NON_ERROR_THROWN', `A handler threw a non-Error value: ${shown}. Throw Error instances so stacks are kept.`);
    this.value = value;
  }
}

/** The caller used the API in a way it does not support (bad options, wrong lifecycle order). */
export class ConfigurationError extends MetroError<'CONFIGURATION'> {
  constructor(message: string) {
    super('CONFIGURATION', message);
  }
}

/** `deleteQueue` was asked to delete a queue that this transport still consumes; nothing was deleted. */
export class QueueInUseError extends ConfigurationError {
  constructor(readonly queue: string) {
    super(
      `Queue "${queue}" was not deleted: this transport still consumes it. Cancel its consumer (or stop the bus that owns it) first, then delete the queue.`,
    );
  }
}

/** One message a batch handler failed, and why. */
export interface BatchItemFailure<Item = unknown> {
  readonly item: Item;
  readonly error: unknown;
}

/**
 * Thrown by an `onBatch` handler to fail some messages of its batch and succeed the rest: each
 * named item goes to its retry policy with its own error (a retry, or a failure record once its
 * attempts are exhausted); the other items are acked (with `inbox: true`, their writes and ids commit).
 *
 * @example
 * ```ts
 * metro.onBatch(OrderPlaced, async (batch) => {
 *   const rejected = await insertAll(batch); // the items the database refused
 *   if (rejected.length > 0) throw new BatchItemsError(rejected.map((item) => ({ item, error: new Error('duplicate order') })));
 * });
 * ```
 */
export class BatchItemsError<Item = unknown> extends MetroError<'BATCH_ITEMS_FAILED'> {
  readonly failures: ReadonlyArray<BatchItemFailure<Item>>;
  constructor(failures: ReadonlyArray<BatchItemFailure<Item>>) {
    const first = failures[0] === undefined ? '' : `; first: ${toError(failures[0].error).message}`;
    super('BATCH_ITEMS_FAILED', `${failures.length} message(s) of the batch failed${first}. Each goes to its retry policy; the rest of the batch is acked.`, {
      details: { failed: failures.length },
    });
    this.failures = failures;
  }
}

/** Turns any thrown value into an Error (non-Errors become {@link NonErrorThrown}). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new NonErrorThrown(value);
}

/**
 * A request got no reply within its timeout; a reply arriving later is dropped. Its code is
 * `REQUEST_TIMEOUT`; a subclass in another package may pass its own (rpc's `RpcTimeoutError`).
 */
export class RequestTimeoutError<TCode extends string = string> extends MetroError<TCode> {
  constructor(destination: string, timeoutMs: number, code?: TCode) {
    super(
      code ?? ('REQUEST_TIMEOUT' satisfies CoreErrorCode as TCode),
      `No reply from ${destination} within ${timeoutMs} ms. Check that the service is running, or raise the timeout.`,
      {
        details: { destination, timeoutMs },
      },
    );
  }
}
