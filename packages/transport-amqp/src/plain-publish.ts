import type { Channel, ChannelModel } from 'amqplib';
import type { Logger } from '@metro/core';
import type { PublishMode } from './publish-mode.js';
import type { RawPublish } from './raw-publish.js';
import { writeUnconfirmed } from './unconfirmed-publish.js';

/**
 * Publishing on a plain channel, with no publisher confirms (`confirms: false`: requests and
 * replies). Every publish resolves once written and the broker sends no ack frame per message;
 * returns of mandatory messages all go to the publisher's `onUnconfirmedReturn`.
 */
export class PlainPublish implements PublishMode {
  readonly outstanding = 0;

  constructor(private readonly logger: Logger) {}

  openChannel(model: ChannelModel): Promise<Channel> {
    return model.createChannel();
  }

  send(channel: Channel, raw: RawPublish): Promise<void> | undefined {
    return writeUnconfirmed(channel, raw, this.logger, 'publish');
  }

  claimReturn(): boolean {
    return false;
  }

  stop(): void {}
}
