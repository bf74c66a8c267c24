import { MetroError } from '@metro/core';

/**
 * Every code `@metro/saga` raises, with what it means: the closed set behind {@link SagaErrorCode}.
 * Each error class of this package passes one of these keys to `MetroError` (core's own codes are
 * in core's `CORE_ERROR_CODES`).
 *
 * @example
 * ```ts
 * if (err instanceof MetroError && err.code in SAGA_ERROR_CODES) console.log(SAGA_ERROR_CODES[err.code as SagaErrorCode]);
 * ```
 */
export const SAGA_ERROR_CODES = {
  SAGA_NOT_FOUND: 'A message for a saga that does not exist (or has completed) arrived, and its not-found policy is `failure`.',
  SAGA_INVALID_KEY: "A message's correlation key reader returned something other than a non-empty string of at most 200 characters.",
  SAGA_INVALID_DEFINITION: 'defineSaga was given an unusable name, schema, message or handler, or the same message twice.',
  SAGA_CONCURRENCY_CONFLICT: "A saga's row changed under a transition that held its lock (an edit outside Metro): the transition rolled back.",
} as const;

/** A code `@metro/saga` raises: a key of {@link SAGA_ERROR_CODES}. */
export type SagaErrorCode = keyof typeof SAGA_ERROR_CODES;

/**
 * A message arrived for a saga that does not exist (never started, deleted, or completed), and the
 * message's not-found policy is `failure`. Like any handler error it is retried under the handler's
 * retry policy (a message that overtook the one starting the saga succeeds on a retry), then
 * recorded as a failed message that an operator can retry.
 *
 * @example
 * ```ts
 * defineSaga({ name: 'order', state }).on(PaymentAccepted, { key: (p) => p.orderId, notFound: 'failure' }, handler);
 * ```
 */
export class SagaNotFoundError extends MetroError<'SAGA_NOT_FOUND'> {
  constructor(saga: string, key: string, message: string) {
    super(
      'SAGA_NOT_FOUND' satisfies SagaErrorCode,
      `No active saga "${saga}" with key "${key}" for message ${message}. If the starting message may arrive later, the retry will find the saga; if not, check the key reader, or make the message start the saga, or set notFound: 'ignore'.`,
      { details: { saga, key, message } },
    );
  }
}

/**
 * A correlation key reader returned something other than a non-empty string of at most 200
 * characters. Nothing was written.
 *
 * @example
 * ```ts
 * saga.on(PaymentAccepted, { key: (p) => p.orderId }, handler); // must return e.g. 'o-1', never '' or undefined
 * ```
 */
export class InvalidSagaKeyError extends MetroError<'SAGA_INVALID_KEY'> {
  constructor(saga: string, message: string, got: unknown) {
    super(
      'SAGA_INVALID_KEY' satisfies SagaErrorCode,
      `The key reader of message ${message} in saga "${saga}" returned ${describe(got)}: return a non-empty string of at most 200 characters read from the payload (e.g. (p) => p.orderId).`,
      { details: { saga, message } },
    );
  }
}

/**
 * `defineSaga` was given something it cannot use: a bad name, a state that is not a Standard
 * Schema, a handler that is not a function, or the same message twice.
 *
 * @example
 * ```ts
 * defineSaga({ name: 'order', state: OrderState }).on(Paid, opts, h).on(Paid, opts, h); // throws: Paid twice
 * ```
 */
export class InvalidSagaDefinitionError extends MetroError<'SAGA_INVALID_DEFINITION'> {
  constructor(saga: string, reason: string) {
    super('SAGA_INVALID_DEFINITION' satisfies SagaErrorCode, `Invalid saga "${saga}": ${reason}.`, { details: { saga } });
  }
}

/**
 * The saga's row did not have the version the transition read under its row lock: something
 * changed it outside Metro. The transition rolled back; the retry reads the new row.
 *
 * @example
 * ```ts
 * if (err instanceof SagaConcurrencyError) console.log(err.details); // { saga, key, expectedVersion }
 * ```
 */
export class SagaConcurrencyError extends MetroError<'SAGA_CONCURRENCY_CONFLICT'> {
  constructor(saga: string, key: string, expectedVersion: number) {
    super(
      'SAGA_CONCURRENCY_CONFLICT' satisfies SagaErrorCode,
      `Saga "${saga}" with key "${key}" is no longer at version ${expectedVersion}: it was changed or deleted outside a transition. The message is retried against the new row; do not edit saga rows by hand while messages flow.`,
      { details: { saga, key, expectedVersion } },
    );
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value === '' ? 'an empty string' : `a string of ${value.length} characters`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
