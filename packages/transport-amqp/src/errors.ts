import { MetroError } from '@metro/core';

/**
 * The transport could not reach the broker in time (`start()` or a consume that needs a connection).
 *
 * @example
 * ```ts
 * try { await transport.start(); } catch (err) { if (err instanceof AmqpConnectError) process.exitCode = 1; }
 * ```
 */
export class AmqpConnectError extends MetroError {
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
export class AmqpTopologyError extends MetroError {
  constructor(message: string, cause?: unknown, details?: Record<string, unknown>) {
    super('AMQP_TOPOLOGY', message, { cause, ...(details ? { details } : {}) });
  }
}

/** `amqp://user:secret@host` → `amqp://user:***@host`, so URLs can be logged (internal). */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
