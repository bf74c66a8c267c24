import type { Kysely } from 'kysely';
import {
  aggregateEnvelopeCodec,
  createEnvelope,
  currentCorrelation,
  destinationOf,
  jsonEnvelopeCodec,
  uuidv7,
  type Codec,
  type CommandDefinition,
  type Destination,
  type Envelope,
  type MessageDefinition,
  type Payload,
  type HeaderValue,
  type Outbox,
  type OutboxPublishOptions,
  type PayloadInput,
  type UnroutablePolicy,
  unroutablePolicyOf,
} from '@metro/core';
import { beginPublish, endPublish, injectActiveTraceContext, withTraceHeaders } from '@metro/core/telemetry';
import type { Executor } from '../database/executor.js';
import { insertOutboxRows, type OutboxRowInput } from './outbox-rows.js';
import { schemaName } from '../identifiers.js';

/** Options of {@link createOutbox}. */
export interface OutboxOptions {
  /** Used to build queries (rows are written through the executor each call is given). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly db: Kysely<any>;
  /** Schema of the outbox table. Default `metro`. */
  readonly schema?: string;
  /** The service that produces the messages (the envelope's `source`). */
  readonly source: string;
  /** How envelopes become bytes. Default: Metro's CloudEvents JSON codec. */
  readonly codec?: Codec;
}

/** Per-message options of the outbox. */
export type PgOutboxPublishOptions = OutboxPublishOptions & {
  /** Rows of one aggregate are published in insertion order by a relay with `ordering: 'aggregate'`. */
  readonly aggregateId?: string | undefined;
};

/** Options of {@link PgOutbox.enqueue}. */
export interface EnqueueOptions {
  /** Rows of one aggregate are published in insertion order by a relay with `ordering: 'aggregate'`. */
  readonly aggregateId?: string;
  /** Default: the envelope's own destination (topic + subject, or the command's service). */
  readonly destination?: Destination;
  /** Extra transport headers (merged over the codec's). */
  readonly headers?: Record<string, HeaderValue>;
  /** Bytes to publish as they are, instead of encoding the envelope (exact replays). */
  readonly body?: Uint8Array;
  /** Content type of `body`. */
  readonly contentType?: string;
  /** Message priority the transport publishes with (RabbitMQ: 0-255, on a queue with `x-max-priority`). */
  readonly priority?: number;
  /** Deliver no sooner than this many ms after the relay publishes the row. */
  readonly delayMs?: number;
  /**
   * Events: what the relay does when no queue receives the row (see `UnroutablePolicy`), stored
   * with it. Default: the relay's default for topic rows, `accept`; commands and queue rows are
   * always errors when unroutable.
   */
  readonly unroutable?: UnroutablePolicy;
}

/** An aggregate-style event: exchange = aggregate, routing key = event type. */
export interface AggregateEvent {
  /** The exchange (topic) the event goes to. */
  readonly aggregate: string;
  /** The routing key (subject) and the body's `eventType`. */
  readonly eventType: string;
  /** The body's `payload`, as is (not validated). */
  readonly payload: unknown;
  /** Orders the row among its aggregate's rows (see `PgOutboxPublishOptions.aggregateId`). */
  readonly aggregateId?: string;
  /** The body's `eventId` and the message id. Default: a new UUIDv7. */
  readonly eventId?: string;
  /** What the relay does when no queue receives it. Default `accept` (see `UnroutablePolicy`). */
  readonly unroutable?: UnroutablePolicy;
}

/**
 * The transactional outbox: writes messages as rows in the caller's transaction, so they are
 * published (by an {@link OutboxRelay}) if and only if that transaction commits.
 */
export interface PgOutbox extends Outbox<Executor> {
  /**
   * Validates and writes an event (or a command): a `ValidationError` reaches the caller and
   * nothing is written. Resolves with the envelope that will be published after commit. An
   * event's unroutable policy (option `unroutable`, else the definition's, else `accept`) is
   * stored with the row: under `accept` a row no queue receives is done (`sent`), under `error`
   * it is retried, then `failed`. Commands are always errors when unroutable.
   */
  publish<D extends MessageDefinition>(trx: Executor, event: D, payload: PayloadInput<D>, options?: PgOutboxPublishOptions): Promise<Envelope<Payload<D>>>;
  /** Validates and writes a command. */
  send<D extends CommandDefinition>(trx: Executor, command: D, payload: PayloadInput<D>, options?: PgOutboxPublishOptions): Promise<Envelope<Payload<D>>>;
  /** Writes an aggregate-style event (`{eventId, eventTime, eventType, aggregate, payload}` body). */
  publishAggregateEvent(trx: Executor, event: AggregateEvent): Promise<void>;
  /** Low-level: enqueue an already-built envelope (scheduler firing, failure retries). */
  enqueue(trx: Executor, envelope: Envelope, options?: EnqueueOptions): Promise<void>;
  /**
   * Low-level: enqueues already-built envelopes in the order given, one insert statement per 1,000
   * (instead of a round trip per message), each as `enqueue` would. All or nothing inside the
   * caller's transaction; on a bare `Kysely` each statement of 1,000 commits on its own.
   *
   * @example
   * ```ts
   * await outbox.enqueueMany(trx, due.map((row) => ({ envelope: row.envelope, options: { body: row.body, contentType: row.contentType } })));
   * ```
   */
  enqueueMany(trx: Executor, messages: ReadonlyArray<EnqueueMessage>): Promise<void>;
}

/** One message of {@link PgOutbox.enqueueMany}: an envelope and its {@link EnqueueOptions}. */
export interface EnqueueMessage {
  /** The envelope to write, already built. */
  readonly envelope: Envelope;
  /** As {@link PgOutbox.enqueue} takes them. */
  readonly options?: EnqueueOptions;
}

/** `headers` plus the active span's trace context (when tracing is on). */
function withActiveTraceContext(headers: Readonly<Record<string, HeaderValue>>): Record<string, HeaderValue> {
  const traced = { ...headers };
  injectActiveTraceContext(traced);
  return traced;
}

/** Rows per insert statement of `enqueueMany`. */
const ENQUEUE_CHUNK = 1000;

/**
 * Creates the transactional outbox of one service.
 *
 * @example
 * ```ts
 * const outbox = createOutbox({ db, source: 'orders' });
 * await db.transaction().execute(async (trx) => {
 *   await trx.insertInto('orders').values(order).execute();
 *   await outbox.publish(trx, OrderPlaced, { orderId: order.id }, { aggregateId: order.id });
 * });
 * ```
 */
export function createOutbox(options: OutboxOptions): PgOutbox {
  const schema = schemaName(options.schema);
  const codec = options.codec ?? jsonEnvelopeCodec;
  const { db, source } = options;

  const toRow = (envelope: Envelope, extra: EnqueueOptions = {}): OutboxRowInput => {
    let body = extra.body;
    let contentType = extra.contentType;
    let headers: Record<string, HeaderValue> = {};
    if (body === undefined) {
      const encoded = codec.encode(envelope);
      body = encoded.body;
      contentType = encoded.contentType;
      headers = { ...encoded.headers };
    }
    return {
      messageId: envelope.id,
      type: envelope.type,
      // A codec with its own routing (core's serviceCommandCodec) says where what it encoded goes.
      destination: extra.destination ?? (extra.body === undefined ? codec.destination?.(envelope) : undefined) ?? destinationOf(envelope),
      aggregateId: extra.aggregateId ?? null,
      body,
      contentType: contentType ?? envelope.datacontenttype ?? 'application/octet-stream',
      headers: { ...headers, ...(extra.headers ?? {}) },
      expiresAt: envelope.expiresat !== undefined ? new Date(envelope.expiresat) : null,
      priority: extra.priority,
      delayMs: extra.delayMs,
      unroutable: extra.unroutable,
    };
  };

  // async: an encoding error rejects the promise rather than throwing.
  const enqueue = async (trx: Executor, envelope: Envelope, extra: EnqueueOptions = {}): Promise<void> =>
    insertOutboxRows(db, schema, trx, [toRow(envelope, extra)]);

  const enqueueMany = async (trx: Executor, messages: ReadonlyArray<EnqueueMessage>): Promise<void> => {
    // Every row is encoded before the first insert: an encoding error writes nothing, even on a bare Kysely.
    const rows = messages.map((m) => toRow(m.envelope, m.options));
    // 10 parameters a row: chunks stay far below PostgreSQL's 65,535 parameters per statement.
    for (let i = 0; i < rows.length; i += ENQUEUE_CHUNK) {
      await insertOutboxRows(db, schema, trx, rows.slice(i, i + ENQUEUE_CHUNK));
    }
  };

  const write = async <D extends MessageDefinition>(
    trx: Executor,
    definition: D,
    payload: PayloadInput<D>,
    opts: PgOutboxPublishOptions = {},
  ): Promise<Envelope<Payload<D>>> => {
    const { aggregateId, headers, priority, delayMs, unroutable, ...envelopeOptions } = opts;
    const policy = unroutablePolicyOf(definition, unroutable);
    const envelope = await createEnvelope(definition, payload, { ...envelopeOptions, source });
    // The `create <topic>` span of the row: the relay's publish continues it (its context is stored in the row's headers).
    const telemetry = beginPublish(undefined, envelope, { scope: '@metro/outbox-pg', create: true });
    const rowHeaders = withTraceHeaders(headers, telemetry);
    try {
      await enqueue(trx, envelope, {
        ...(definition.kind === 'event' ? { unroutable: policy } : {}),
        ...(aggregateId !== undefined ? { aggregateId } : {}),
        ...(rowHeaders !== undefined ? { headers: rowHeaders } : {}),
        ...(priority !== undefined ? { priority } : {}),
        ...(delayMs !== undefined ? { delayMs } : {}),
      });
    } catch (err) {
      endPublish(telemetry, err);
      throw err;
    }
    endPublish(telemetry);
    return envelope;
  };

  return {
    publish: write,
    send: write,
    enqueue,
    enqueueMany,
    async publishAggregateEvent(trx, event) {
      const eventId = event.eventId ?? uuidv7();
      const context = currentCorrelation();
      const encoded = aggregateEnvelopeCodec.encode({
        specversion: '1.0',
        id: eventId,
        source,
        type: event.eventType,
        time: new Date().toISOString(),
        datacontenttype: 'application/json',
        data: event.payload,
        kind: 'event',
        topic: event.aggregate,
        subject: event.eventType,
        ...(context !== undefined ? { correlationid: context.correlationId } : {}),
        ...(context?.causationId !== undefined ? { causationid: context.causationId } : {}),
      });
      await insertOutboxRows(db, schema, trx, [
        {
          messageId: eventId,
          type: event.eventType,
          destination: { kind: 'topic', topic: event.aggregate, subject: event.eventType },
          aggregateId: event.aggregateId ?? null,
          body: encoded.body,
          contentType: encoded.contentType,
          headers: withActiveTraceContext(encoded.headers),
          expiresAt: null,
          unroutable: event.unroutable,
        },
      ]);
    },
  };
}
