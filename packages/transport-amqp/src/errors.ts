import { MetroError } from '@metro/core';

/**
 * The codes of `@metro/transport-amqp`'s own errors, with what they mean: the closed set behind
 * {@link AmqpErrorCode}. The transport also raises core's errors (`PUBLISH_FAILED`,
 * `UNROUTABLE`, `TRANSPORT_CLOSED`, `REQUEST_TIMEOUT`, `CONFIGURATION`: see `CORE_ERROR_CODES`).
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof MetroError && err.code in AMQP_ERROR_CODES) console.error(AMQP_ERROR_CODES[err.code as AmqpErrorCode]); }
 * ```
 */
export const AMQP_ERROR_CODES = {
  AMQP_CONNECT_FAILED: 'The transport could not reach RabbitMQ within connectTimeoutMs (it keeps retrying in the background).',
  AMQP_TOPOLOGY: 'RabbitMQ refused a declaration: a missing external exchange, or a queue that exists with other arguments.',
} as const;

/** A code of `@metro/transport-amqp`'s own errors: a key of {@link AMQP_ERROR_CODES}. */
export type AmqpErrorCode = keyof typeof AMQP_ERROR_CODES;

/**
 * The transport could not reach the broker in time (`start()` or a consume that needs a connection).
 *
 * @example
 * ```ts
 * try { await transport.start(); } catch (err) { if (err instanceof AmqpConnectError) process.exitCode = 1; }
 * ```
 */
export class AmqpConnectError extends MetroError<'AMQP_CONNECT_FAILED'> {
  constructor(url: string, timeoutMs: number, cause?: unknown) {
    super(
      'AMQP_CONNECT_FAILED',
      `Could not connect to RabbitMQ at ${redactUrl(url)} within ${timeoutMs} ms. Check that the broker runs and that the URL, credentials and vhost are right (it keeps retrying in the background).`,
      { cause, details: { url: redactUrl(url), timeoutMs } },
    );
  }
}

/**
 * The broker refused a declaration: an external exchange that does not exist, or a queue that exists with other arguments.
 *
 * @example
 * ```ts
 * await transport.declareQueue(declaration).catch((err) => { if (err instanceof AmqpTopologyError) console.error(err.message); throw err; });
 * ```
 */
export class AmqpTopologyError extends MetroError<'AMQP_TOPOLOGY'> {
  constructor(message: string, cause?: unknown, details?: Record<string, unknown>) {
    super('AMQP_TOPOLOGY', message, { cause, ...(details ? { details } : {}) });
  }
}

/** `amqp://user:secret@host` → `amqp://user:***@host`, so URLs can be logged (internal). */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
