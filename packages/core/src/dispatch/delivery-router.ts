import { MetroHeaders, type Envelope } from '../envelope.js';
import { DeliveryLimitError, MessageExpiredError, NoHandlerError } from '../errors.js';
import type { Delivery } from '../transport.js';
import { publishedSubject, publishedTopic } from './delivery-decoder.js';
import { DispatchFailure } from './dispatch-failure.js';
import type { HandlerEntry } from './handler-entry.js';
import type { Router } from './router.js';

/** What {@link routeDelivery} returns for an event no handler matched. */
export const UNROUTED = 'unrouted';

/**
 * Picks the handlers of a decoded delivery: the one its retry or replay names, the command's
 * handler (on the service queue only), or the events' matching handlers in order. A command
 * past its expiry is a failure, unless it is a replay of a failure or a deferred message; so is
 * a message the broker stopped redelivering (its queue's delivery limit).
 *
 * @example
 * ```ts
 * const entries = routeDelivery(delivery, envelope, router, 'billing', true);
 * if (entries === UNROUTED) return settler.unroutedAndSettle(delivery, envelope);
 * ```
 */
export function routeDelivery(
  delivery: Delivery,
  envelope: Envelope,
  router: Router,
  service: string,
  acceptsCommands: boolean,
): ReadonlyArray<HandlerEntry> | DispatchFailure | typeof UNROUTED {
  const headers = delivery.headers;
  const only = headers[MetroHeaders.handler];
  if (delivery.deliveryLimitReached === true) {
    return new DispatchFailure('delivery-limit', new DeliveryLimitError(delivery.queue, envelope.id), envelope, typeof only === 'string' ? only : null);
  }
  let entries: ReadonlyArray<HandlerEntry>;
  if (typeof only === 'string') {
    const entry = router.handler(only);
    if (entry === undefined) {
      return new DispatchFailure('no-handler', new NoHandlerError(envelope.type, service, { name: only, queue: delivery.queue }), envelope, only);
    }
    entries = [entry];
  } else if (envelope.kind === 'command') {
    const entry = acceptsCommands ? router.command(envelope.type) : undefined;
    if (entry === undefined) return new DispatchFailure('no-handler', new NoHandlerError(envelope.type, service), envelope, null);
    entries = [entry];
  } else {
    entries = router.match(envelope.topic ?? publishedTopic(delivery) ?? '', envelope.subject ?? publishedSubject(delivery) ?? envelope.type);
    if (entries.length === 0) return UNROUTED;
  }
  if (
    envelope.kind === 'command' &&
    envelope.expiresat !== undefined &&
    headers[MetroHeaders.failureId] === undefined &&
    headers[MetroHeaders.deferredSeq] === undefined &&
    Date.parse(envelope.expiresat) < Date.now()
  ) {
    return new DispatchFailure('expired', new MessageExpiredError(envelope.type, envelope.expiresat), envelope, null);
  }
  return entries;
}
