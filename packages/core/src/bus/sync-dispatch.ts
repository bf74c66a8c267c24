import type { Codec } from '../codec.js';
import { runWithCorrelation } from '../context.js';
import { createEnvelope, toOutgoingMessage } from '../create-envelope.js';
import type { MessageDefinition } from '../definitions.js';
import type { Envelope } from '../envelope.js';
import { NoHandlerError } from '../errors.js';
import { MessageContext, type ContextRuntime } from '../dispatch/handler-context.js';
import type { HandlerEntry } from '../dispatch/handler-entry.js';
import { createHandlerInvoker } from '../dispatch/handler-invoker.js';
import { INVALID, payloadFor, validationError, type ValidationCache } from '../dispatch/payload-validation.js';
import type { PublishOptions } from '../publish-options.js';
import type { Inbox } from '../stores/inbox.js';
import type { Delivery } from '../transport.js';
import type { SubscriptionGroup } from './subscriptions.js';

/** Runs a message's local handlers in place; see `createMetro({ mode: 'sync' })`. */
export type SyncDispatch = (definition: MessageDefinition, payload: unknown, options: PublishOptions) => Promise<Envelope>;

/** What the sync path needs from the bus (internal). */
export interface SyncDispatchDeps {
  readonly service: string;
  readonly codec: Codec;
  readonly runtime: ContextRuntime;
  readonly inbox: Inbox | undefined;
  /** The bus's queues, read at each call (handlers may be registered after `createMetro`). */
  readonly groups: () => Iterable<SubscriptionGroup>;
}

/** The handlers of this process a message reaches, queue by queue, in the order the queues would run them. */
function localHandlers(envelope: Envelope, groups: Iterable<SubscriptionGroup>, service: string): Array<[SubscriptionGroup, HandlerEntry]> {
  const found: Array<[SubscriptionGroup, HandlerEntry]> = [];
  for (const group of groups) {
    if (envelope.kind === 'command') {
      const entry = group.commands && envelope.service === service ? group.router.command(envelope.type) : undefined;
      if (entry) found.push([group, entry]);
    } else {
      for (const entry of group.router.match(envelope.topic ?? '', envelope.subject ?? envelope.type)) found.push([group, entry]);
    }
  }
  return found;
}

/** A delivery that only `ctx.defer()` reads (the encoded message); settling it does nothing. */
function localDelivery(envelope: Envelope, codec: Codec, queue: string): Delivery {
  const message = toOutgoingMessage(envelope, codec);
  const settle = (): Promise<void> => Promise.resolve();
  return {
    body: message.body,
    queue,
    messageId: message.messageId,
    contentType: message.contentType,
    headers: message.headers,
    redelivered: false,
    ack: settle,
    requeue: settle,
    reject: settle,
  };
}

/**
 * Builds the bus's sync path (messagio's `fire(sync=True)`): validates the payload and builds the
 * envelope as a publish would, then runs every matching handler of this process once, in
 * priority order, inside the message's correlation, and rejects with the first handler's error
 * (or the `ValidationError` of a payload its schema refuses). Nothing reaches the transport; no
 * retry, no failure record. A command this service has no handler for rejects with
 * `NoHandlerError`; an event no local handler matches resolves (as a publish nobody receives).
 *
 * @example
 * ```ts
 * const runSync = createSyncDispatch({ service, codec, runtime, inbox, groups: () => subscriptions.groups.values() });
 * await runSync(OrderPlaced, { orderId: '1' }, {}); // the handlers ran; their error would reject here
 * ```
 */
export function createSyncDispatch(deps: SyncDispatchDeps): SyncDispatch {
  const invoker = createHandlerInvoker(deps.service, deps.inbox);
  return async (definition, payload, options) => {
    const envelope = await createEnvelope(definition, payload as never, { ...options, source: deps.service });
    const handlers = localHandlers(envelope, deps.groups(), deps.service);
    if (envelope.kind === 'command' && handlers.length === 0) throw new NoHandlerError(envelope.type, deps.service);
    const correlationId = envelope.correlationid ?? envelope.id;
    const cache: ValidationCache = { lastSchema: undefined, lastPayload: undefined, lastIssues: undefined };
    await runWithCorrelation({ correlationId, causationId: envelope.id, traceparent: envelope.traceparent }, async () => {
      for (const [group, entry] of handlers) {
        const parsed: unknown = await payloadFor(entry, envelope, cache);
        if (parsed === INVALID) throw validationError(envelope, entry, cache.lastIssues ?? []);
        const ctx = new MessageContext(deps.runtime, envelope, 1, correlationId, entry.name, group.queue, localDelivery(envelope, deps.codec, group.queue));
        try {
          const pending = invoker.invoke(entry, parsed, ctx);
          entry.batch?.flush(); // a batch handler runs this message now, as a batch of one
          await pending;
        } catch (err) {
          // As on the asynchronous path: a handler that deferred its message is not failed by what it throws afterwards.
          if (ctx.deferredSeq === undefined) throw err;
        }
      }
    });
    return envelope;
  };
}
