import type { Codec, IncomingMessage } from '../codec.js';
import { MetroHeaders, type Envelope } from '../envelope.js';
import { MessageOversizedError } from '../errors.js';
import type { Delivery } from '../transport.js';
import { DispatchFailure } from './dispatch-failure.js';
import type { Router } from './router.js';

/** How many bytes of an oversized body the failure record keeps. */
const OVERSIZED_KEEP = 64 * 1024;

/**
 * Turns a delivery's bytes into an envelope with the codec of its topic (else `codec`), or says
 * why it cannot: too big, or not decodable. A replayed copy is decoded as if it arrived on the
 * topic and subject its headers kept.
 *
 * @example
 * ```ts
 * const envelope = decodeDelivery(delivery, router, jsonEnvelopeCodec, 1024 * 1024);
 * if (envelope instanceof DispatchFailure) return settler.recordAndSettle(delivery, envelope, attempt);
 * ```
 */
export function decodeDelivery(delivery: Delivery, router: Router, codec: Codec, maxMessageBytes: number): Envelope | DispatchFailure {
  if (delivery.body.byteLength > maxMessageBytes) {
    const error = new MessageOversizedError(delivery.body.byteLength, maxMessageBytes, OVERSIZED_KEEP);
    return new DispatchFailure('oversized', error, null, null, delivery.body.subarray(0, OVERSIZED_KEEP));
  }
  let incoming: IncomingMessage = delivery;
  if (delivery.headers[MetroHeaders.topic] !== undefined || delivery.headers[MetroHeaders.subject] !== undefined) {
    incoming = {
      body: delivery.body,
      contentType: delivery.contentType,
      headers: delivery.headers,
      topic: publishedTopic(delivery),
      subject: publishedSubject(delivery),
      messageId: delivery.messageId,
      timestamp: delivery.timestamp,
    };
  }
  try {
    return (router.codecFor(incoming.topic) ?? codec).decode(incoming);
  } catch (err) {
    return new DispatchFailure('decode', err, null, null);
  }
}

/** The topic a delivery was first published to: the one a replay kept in its headers, else its own. */
export function publishedTopic(delivery: Delivery): string | undefined {
  const kept = delivery.headers[MetroHeaders.topic];
  return kept !== undefined ? String(kept) : delivery.topic;
}

/** The subject a delivery was first published with: the one a replay kept in its headers, else its own. */
export function publishedSubject(delivery: Delivery): string | undefined {
  const kept = delivery.headers[MetroHeaders.subject];
  return kept !== undefined ? String(kept) : delivery.subject;
}
