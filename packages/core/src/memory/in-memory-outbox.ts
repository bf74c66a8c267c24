import type { Codec } from '../codec.js';
import { jsonEnvelopeCodec } from '../codecs/json-envelope-codec.js';
import { createEnvelope, toOutgoingMessage } from '../create-envelope.js';
import type { MessageDefinition, Payload, PayloadInput } from '../definitions.js';
import type { Envelope } from '../envelope.js';
import { ConfigurationError, toError } from '../errors.js';
import { defaultLogger, type Logger } from '../logger.js';
import type { Outbox, OutboxPublishOptions } from '../stores/outbox.js';
import type { OutgoingMessage, Transport } from '../transport.js';
import { acceptsUnroutable, UnroutableEvents, unroutablePolicyOf, type UnroutableEventStats, type UnroutablePolicy } from '../unroutable-policy.js';

/** A committed row: the message and what to do if no queue receives it. */
interface OutboxRow {
  readonly message: OutgoingMessage;
  readonly unroutable: UnroutablePolicy;
}

/**
 * A memory "transaction" for {@link InMemoryOutbox}: rows written with it are held until it
 * commits (then published) and dropped if it rolls back. Get one from `outbox.transaction(fn)`.
 *
 * @example
 * ```ts
 * await outbox.transaction(async (trx) => outbox.publish(trx, OrderPlaced, { orderId: '1' }));
 * ```
 */
export class MemoryTransaction {
  /** @internal */ readonly rows: OutboxRow[] = [];
  /** `open` until `commit()` or `rollback()`. */
  state: 'open' | 'committed' | 'rolledBack' = 'open';
}

export interface InMemoryOutboxOptions {
  readonly transport: Transport;
  /** The producing service (the envelope `source`). */
  readonly service: string;
  /** Default `jsonEnvelopeCodec`. */
  readonly codec?: Codec;
  readonly logger?: Logger;
  /** Pause before retrying a failed publish. Default 500 ms. */
  readonly retryDelayMs?: number;
}

/**
 * An {@link Outbox} in memory: `publish(trx, def, payload)` holds the row in the memory
 * transaction; when `transaction(fn)` commits, the rows are published through the transport in
 * order; a failed publish is retried until it succeeds or the outbox is closed. An event no queue
 * receives follows its unroutable policy: `accept` (the default) counts it (`unroutableStats()`),
 * logs it and goes on; `error` retries it like any failed publish.
 *
 * @example
 * ```ts
 * const outbox = memoryOutbox({ transport, service: 'orders' });
 * await outbox.transaction(async (trx) => {
 *   await outbox.publish(trx, OrderPlaced, { orderId: '1' });
 * }); // published after the callback resolved; nothing if it threw
 * ```
 */
export class InMemoryOutbox implements Outbox<MemoryTransaction> {
  private readonly codec: Codec;
  private readonly logger: Logger;
  private readonly pending: OutboxRow[] = [];
  private readonly unroutable: UnroutableEvents;
  private flushing: Promise<void> | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: InMemoryOutboxOptions) {
    this.codec = options.codec ?? jsonEnvelopeCodec;
    this.logger = options.logger ?? defaultLogger;
    this.unroutable = new UnroutableEvents(this.logger);
  }

  async publish<D extends MessageDefinition>(
    trx: MemoryTransaction,
    definition: D,
    payload: PayloadInput<D>,
    options: OutboxPublishOptions = {},
  ): Promise<Envelope<Payload<D>>> {
    if (trx.state !== 'open') throw new ConfigurationError(`The memory transaction is ${trx.state}; publish inside outbox.transaction(...).`);
    const unroutable = unroutablePolicyOf(definition, options.unroutable);
    const envelope = await createEnvelope(definition, payload, { ...options, source: this.options.service });
    const message = toOutgoingMessage(envelope, this.codec, {
      ...(options.headers ? { headers: { ...options.headers } } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.delayMs !== undefined ? { delayMs: options.delayMs } : {}),
    });
    trx.rows.push({ message, unroutable });
    return envelope;
  }

  /** Runs `fn` in a new memory transaction; commits (and publishes its rows) when it resolves, rolls back when it throws. */
  async transaction<T>(fn: (trx: MemoryTransaction) => Promise<T>): Promise<T> {
    const trx = new MemoryTransaction();
    let result: T;
    try {
      result = await fn(trx);
    } catch (err) {
      trx.state = 'rolledBack';
      throw err;
    }
    trx.state = 'committed';
    this.pending.push(...trx.rows);
    await this.flush();
    return result;
  }

  /** The events no queue received that the `accept` policy let through (counted and logged). */
  unroutableStats(): UnroutableEventStats {
    return this.unroutable.stats();
  }

  /** Rows committed but not yet confirmed by the transport. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Publishes every pending row in order. Resolves when none is left or a publish failed (a retry is then scheduled). */
  flush(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.drain().finally(() => {
        this.flushing = undefined;
      });
    }
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (!this.closed && this.pending.length > 0) {
      const { message, unroutable } = this.pending[0]!;
      try {
        await this.options.transport.publish(message);
        this.pending.shift();
      } catch (err) {
        if (acceptsUnroutable(unroutable, message, err)) {
          this.unroutable.record(message);
          this.pending.shift();
          continue;
        }
        this.logger.warn({ err: toError(err), messageId: message.messageId }, 'outbox publish failed; will retry');
        if (!this.closed && !this.timer) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            void this.flush();
          }, this.options.retryDelayMs ?? 500);
        }
        return;
      }
    }
  }

  /** Stops retrying (pending rows stay in `pendingCount`). Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
  }
}

/**
 * Builds an {@link Outbox} in memory ({@link InMemoryOutbox}): rows publish when `outbox.transaction(fn)` commits. `close()` it on shutdown.
 *
 * @example
 * ```ts
 * const outbox = memoryOutbox({ transport, service: 'orders' });
 * await outbox.transaction(async (trx) => outbox.publish(trx, OrderPlaced, { orderId: '1' }));
 * ```
 */
export function memoryOutbox(options: InMemoryOutboxOptions): InMemoryOutbox {
  return new InMemoryOutbox(options);
}
