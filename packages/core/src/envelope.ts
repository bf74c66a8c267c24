/**
 * The envelope every Metro message travels in. Attribute names follow CloudEvents 1.0
 * (`specversion`, `id`, `source`, `type`, `time`, `datacontenttype`, `data`) plus Metro's
 * extension attributes (`kind`, `topic`, `service`, `correlationid`, `causationid`, `expiresat`,
 * `traceparent`), all lower-case as CloudEvents requires.
 */
export interface Envelope<T = unknown> {
  readonly specversion: '1.0';
  /** UUIDv7 of this message; stable across retries and replays (the inbox dedupes by it). */
  readonly id: string;
  /** The service that produced the message. */
  readonly source: string;
  /** The message type within its topic (events) or service (commands), e.g. `placed`, `send`. */
  readonly type: string;
  /** ISO-8601 creation time. */
  readonly time: string;
  readonly datacontenttype: string;
  readonly data: T;
  /** `event` (published to a topic) or `command` (sent to one service). */
  readonly kind: MessageKind;
  /** Events: the topic (exchange) it was published to. */
  readonly topic?: string;
  /** Events: the routing subject. Defaults to `type`. */
  readonly subject?: string;
  /** Commands: the service that must handle it. */
  readonly service?: string;
  /** Shared by every message caused, directly or not, by one originating request. */
  readonly correlationid?: string;
  /** The id of the message whose handler produced this one. */
  readonly causationid?: string;
  /** ISO-8601 time after which a command must not be executed. */
  readonly expiresat?: string;
  /** W3C trace context, passed through untouched. */
  readonly traceparent?: string;
}

export type MessageKind = 'event' | 'command';

/** The transport headers Metro itself reads and writes. Anything else in headers is passed through. */
export const MetroHeaders = {
  /** Delivery attempt of this copy (1 for the first delivery). */
  attempt: 'metro-attempt',
  /** When set, only the handler with this name runs for this copy (a per-handler retry or replay). */
  handler: 'metro-handler',
  /** Set on a replay from the failure store: on success the failure is marked resolved. */
  failureId: 'metro-failure-id',
  /** Set on a resumed deferred message. */
  deferredSeq: 'metro-deferred-seq',
  /** Delay requested for this copy, in ms (informational). */
  delay: 'metro-delay',
  /** The topic the original delivery came from, kept on retried/replayed copies (they travel straight to a queue). */
  topic: 'metro-topic',
  /** The subject the original delivery came from, kept on retried/replayed copies. */
  subject: 'metro-subject',
  /** On a copy a rate-limited handler deferred: the time (epoch ms) of the slot its limiter reserved for it. */
  rateSlot: 'metro-rate-slot',
} as const;
