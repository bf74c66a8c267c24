import type { Channel, ChannelModel, Message } from 'amqplib';
import type { RawPublish } from './raw-publish.js';

/**
 * How a {@link ChannelPublisher} writes on its channel: with publisher confirms
 * (`ConfirmedPublish`, events and commands) or on a plain channel (`PlainPublish`, requests and
 * replies).
 */
export interface PublishMode {
  /** Opens the channel this mode writes on. */
  openChannel(model: ChannelModel): Promise<Channel>;
  /** Writes one message; `undefined` when the channel closed before it was written (nothing went out: try the next channel). */
  send(channel: Channel, raw: RawPublish, deadline: number): Promise<void> | undefined;
  /** Takes a message the broker returned when it belongs to one of this mode's pending publishes. */
  claimReturn(message: Message): boolean;
  /** Written publishes that have not settled yet. */
  readonly outstanding: number;
  /** Clears the mode's timers (on close). */
  stop(): void;
}
