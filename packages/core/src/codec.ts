import type { Envelope } from './envelope.js';
import type { Destination } from './transport.js';

/** What a codec produces for the transport. */
export interface EncodedMessage {
  readonly body: Uint8Array;
  readonly contentType: string;
  /** Transport headers the codec wants set (e.g. for foreign consumers). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What a codec is given to decode: the bytes and whatever the transport knows about them. */
export interface IncomingMessage {
  readonly body: Uint8Array;
  readonly contentType?: string | undefined;
  readonly headers: Readonly<Record<string, unknown>>;
  /** The topic (exchange) the message was published to, when the transport knows it. */
  readonly topic?: string | undefined;
  /** The routing subject (routing key), when the transport knows it. */
  readonly subject?: string | undefined;
  /** Transport-level message id, when set by the publisher. */
  readonly messageId?: string | undefined;
  /** Transport-level timestamp in ms, when set by the publisher. */
  readonly timestamp?: number | undefined;
}

/**
 * Turns envelopes into bytes and back. The default is {@link jsonEnvelopeCodec}; foreign formats
 * (a plain JSON body, the aggregate envelope Python services send) are codecs too.
 * `decode` throws a `DecodeError` for anything it cannot read; it never returns a half envelope.
 */
export interface Codec {
  readonly name: string;
  encode(envelope: Envelope): EncodedMessage;
  decode(message: IncomingMessage): Envelope;
  /**
   * Where a message this codec encodes goes, when the format has its own routing (e.g.
   * `serviceCommandCodec`: a command to the exchange named after its service, routing key =
   * its type). Default: Metro's (an event to its topic and subject, a command to its service's
   * command route).
   */
  destination?(envelope: Envelope): Destination | undefined;
}
