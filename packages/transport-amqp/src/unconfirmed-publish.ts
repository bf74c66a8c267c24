import type { Channel } from 'amqplib';
import { type Logger } from '@metro/core';
import { withoutLibraryInstrumentation } from '@metro/core/telemetry';
import { publishOptions, type RawPublish } from './raw-publish.js';

const WRITTEN: Promise<void> = Promise.resolve();

/**
 * Writes `raw` with no confirm and resolves once written: fire and forget, for requests and
 * replies, whose reply (or the requester's timeout) is their confirmation. On a confirm channel
 * amqplib tracks the confirm with no callback, so there is nothing to settle; a mandatory message
 * the broker returns goes to the publisher's `onUnconfirmedReturn`. `undefined` when the channel
 * was already closed (nothing went out); `what` names the publish in that debug line.
 */
export function writeUnconfirmed(channel: Channel, raw: RawPublish, logger: Logger, what: string): Promise<void> | undefined {
  try {
    // Metro's own span (if any) put the trace context in the headers: an amqplib auto-instrumentation adds no second span.
    withoutLibraryInstrumentation(() => channel.publish(raw.exchange, raw.routingKey, raw.body, publishOptions(raw)), channel.publish);
    return WRITTEN;
  } catch (err) {
    logger.debug({ err }, `metro: ${what} on a closed channel; retrying on the next one`);
    return undefined;
  }
}
