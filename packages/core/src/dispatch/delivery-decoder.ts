import type { Codec, IncomingMessage } from '../codec.js';
import { MetroHeaders, type Envelope } from '../envelope.js';
import { MessageOversizedError } from '../errors.js';
import type { Delivery } from '../transport.js';
import { DispatchFailure } from './dispatch-failure.js';
import type { Router } from './router.js';

/** How many bytes of an oversized body the failure record keeps. */
const OVERSIZED_KEEP = 64 * 1024;

/** A decoded delivery: its envelope and the topic and subject it was published to. */
export interface DecodedDelivery {
  readonly envelope: Envelope;
  /** The delivery, or a view of it with the topic and subject a replay kept in its headers. */
  readonly incoming: IncomingMessage;
}

/**
 * Turns a delivery's bytes into an envelope with the codec of its topic (else `codec`), or says
 * why it cannot: too big, or not decodable. A replayed copy is decoded as if it arrived on the
 * topic and subject its headers kept.
 *
 * @example
 * ```ts
 * const decoded = decodeDelivery(delivery, router, jsonEnvelopeCodec, 1024 * 1024);
 * if (decoded instanceof DispatchFailure) return recordAndSettle(delivery, decoded, attempt);
 * ```
 */
export function decodeDelivery(delivery: Delivery, router: Router, codec: Codec, maxMessageBytes: number): DecodedDelivery | DispatchFailure {
  if (delivery.body.byteLength > maxMessageBytes) {
    const error = new MessageOversizedError(delivery.body.byteLength, maxMessageBytes, OVERSIZED_KEEP);
    return new DispatchFailure('oversized', error, null, null, delivery.body.subarray(0, OVERSIZED_KEEP));
  }
  const headers = delivery.headers;
  const keptTopic = headers[MetroHeaders.topic];
  const keptSubject = headers[MetroHeaders.subject];
  let incoming: IncomingMessage = delivery;
  if (keptTopic !== undefined || keptSubject !== undefined) {
    incoming = {
      body: delivery.body,
      contentType: delivery.contentType,
      headers,
      topic: keptTopic !== undefined ? String(keptTopic) : delivery.topic,
      subject: keptSubject !== undefined ? String(keptSubject) : delivery.subject,
      messageId: delivery.messageId,
      timestamp: delivery.timestamp,
    };
  }
  try {
    return { envelope: (router.codecFor(incoming.topic) ?? codec).decode(incoming), incoming };
  } catch (err) {
    return new DispatchFailure('decode', err, null, null);
  }
}
