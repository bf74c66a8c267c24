import type { CommandDefinition, EventDefinition, Payload, PayloadInput } from '../definitions.js';
import type { Envelope } from '../envelope.js';
import { childLogger, type Logger } from '../logger.js';
import type { PublishOptions } from '../publish-options.js';
import type { DeferredStore } from '../stores/deferred-store.js';
import type { Delivery } from '../transport.js';
import { recordHeadersOf } from '../record-headers.js';
import { ConfigurationError } from '../errors.js';
import { SemanticAttributes } from '../telemetry/messaging-attributes.js';
import { activeTraceIds } from '../telemetry/metro-span.js';
import { metroMetrics } from '../telemetry/metro-metrics.js';

/**
 * What a handler gets next to its payload.
 *
 * @example
 * ```ts
 * metro.on(OrderPlaced, async (order, ctx) => {
 *   ctx.logger.info({ orderId: order.orderId }, 'charging');
 *   await ctx.send(ChargeCard, { orderId: order.orderId }); // carries correlation + causation ids
 * });
 * ```
 */
export interface HandlerContext<Trx = unknown> {
  /** The decoded envelope. */
  readonly envelope: Envelope;
  /** The envelope id (stable across retries and replays). */
  readonly messageId: string;
  /** 1 for the first delivery, then 2, 3, ... for this handler's retries. */
  readonly attempt: number;
  readonly correlationId: string;
  /** The id of the message that caused this one, if any. */
  readonly causationId: string | undefined;
  /** This handler's name. */
  readonly handler: string;
  /** The queue the message was consumed from. */
  readonly queue: string;
  /** A child of Metro's logger carrying service, handler, messageId and correlationId (and `trace_id` / `span_id` when tracing is on). */
  readonly logger: Logger;
  /** Aborted when the handler times out or Metro stops: pass it to fetch/db calls. */
  readonly signal: AbortSignal;
  /**
   * The inbox transaction, when the handler has `inbox: true` (then {@link InboxHandlerContext}
   * types it as defined); `undefined` for other handlers.
   */
  readonly trx: Trx | undefined;
  /** Publishes an event caused by this message (correlation id carried on, causation id = this message). */
  publish<D extends EventDefinition>(definition: D, payload: PayloadInput<D>, options?: PublishOptions): Promise<Envelope<Payload<D>>>;
  /** Sends a command caused by this message. */
  send<D extends CommandDefinition>(definition: D, payload: PayloadInput<D>, options?: PublishOptions): Promise<Envelope<Payload<D>>>;
  /**
   * Sets the message aside in the DeferredStore and returns its sequence number. The message is
   * then acked and not treated as failed, even if the handler throws afterwards.
   */
  defer(reason?: string): Promise<number>;
}

/**
 * The context of a handler registered with `{ inbox: true }`: `ctx.trx` is the inbox's
 * transaction, always there. Its type comes from the inbox given to `createMetro`: with
 * `createInbox({ db })` of `@metro/outbox-pg` and `db: Kysely<Database>`, it is
 * `Transaction<Database>`, so the handler's writes are typed with the app's tables.
 *
 * @example
 * ```ts
 * const metro = createMetro({ service: 'sms', transport, inbox: createInbox({ db }) });
 * metro.handle(SendSms, async (sms, ctx) => {
 *   await ctx.trx.insertInto('sms_log').values(sms).execute(); // committed with the inbox row
 * }, { inbox: true });
 * ```
 */
export interface InboxHandlerContext<Trx = unknown> extends HandlerContext<Trx> {
  /** The inbox transaction: the handler's writes commit together with the processed message id. */
  readonly trx: Trx;
}

/** What a context needs from the bus (internal). */
export interface ContextRuntime {
  readonly service: string;
  readonly logger: Logger;
  readonly deferred: DeferredStore | undefined;
  publish(definition: EventDefinition, payload: unknown, options: PublishOptions): Promise<Envelope>;
  send(definition: CommandDefinition, payload: unknown, options: PublishOptions): Promise<Envelope>;
}

/** The per-handler context object (internal). Methods live on the prototype; logger and signal are lazy. */
export class MessageContext implements HandlerContext<unknown> {
  trx: unknown = undefined;
  /** Set by `defer()`. */
  deferredSeq: number | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private abortReason: unknown = undefined;
  private childLog: Logger | undefined = undefined;

  constructor(
    private readonly runtime: ContextRuntime,
    readonly envelope: Envelope,
    readonly attempt: number,
    readonly correlationId: string,
    readonly handler: string,
    readonly queue: string,
    private readonly delivery: Delivery,
  ) {}

  get messageId(): string {
    return this.envelope.id;
  }

  get causationId(): string | undefined {
    return this.envelope.causationid;
  }

  get logger(): Logger {
    if (this.childLog === undefined) {
      const bindings: Record<string, unknown> = {
        service: this.runtime.service,
        handler: this.handler,
        messageId: this.envelope.id,
        correlationId: this.correlationId,
      };
      const trace = activeTraceIds();
      if (trace !== undefined) {
        bindings.trace_id = trace.traceId;
        bindings.span_id = trace.spanId;
      }
      this.childLog = childLogger(this.runtime.logger, bindings);
    }
    return this.childLog;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Aborts the signal (timeout or stop). */
  abort(reason: unknown): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  publish<D extends EventDefinition>(definition: D, payload: PayloadInput<D>, options?: PublishOptions): Promise<Envelope<Payload<D>>> {
    return this.runtime.publish(definition, payload, this.carry(options)) as Promise<Envelope<Payload<D>>>;
  }

  send<D extends CommandDefinition>(definition: D, payload: PayloadInput<D>, options?: PublishOptions): Promise<Envelope<Payload<D>>> {
    return this.runtime.send(definition, payload, this.carry(options)) as Promise<Envelope<Payload<D>>>;
  }

  private carry(options: PublishOptions | undefined): PublishOptions {
    return {
      ...options,
      correlationId: options?.correlationId ?? this.correlationId,
      causationId: options?.causationId ?? this.envelope.id,
    };
  }

  async defer(reason?: string): Promise<number> {
    const store = this.runtime.deferred;
    if (store === undefined) throw new ConfigurationError('ctx.defer() needs a DeferredStore: pass `deferred` to createMetro.');
    if (this.deferredSeq !== undefined) return this.deferredSeq;
    const record = await store.defer({
      messageId: this.envelope.id,
      service: this.runtime.service,
      queue: this.queue,
      handler: this.handler,
      type: this.envelope.type,
      reason: reason ?? null,
      correlationId: this.correlationId,
      envelope: this.envelope,
      body: this.delivery.body,
      contentType: this.delivery.contentType,
      headers: recordHeadersOf(this.delivery),
    });
    this.deferredSeq = record.seq;
    metroMetrics()?.deferred.add(1, { [SemanticAttributes.service]: this.runtime.service, [SemanticAttributes.handler]: this.handler });
    return record.seq;
  }
}
