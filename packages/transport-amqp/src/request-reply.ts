import { randomUUID } from 'node:crypto';
import type { Channel, ConsumeMessage, Message } from 'amqplib';
import { PublishError, RequestTimeoutError, UnroutableError, TransportClosedError, type Logger, type ReplyMessage, type RequestOptions } from '@metro/core';
import type { ConnectionSupervisor, LiveConnection } from './connection-supervisor.js';
import { publicHeaders } from './incoming.js';
import { ChannelPublisher } from './channel-publisher.js';
import type { PreparePublish, RawPublish } from './raw-publish.js';

/** RabbitMQ's direct reply-to pseudo-queue. */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';

interface Call {
  readonly resolve: (reply: ReplyMessage) => void;
  readonly reject: (err: unknown) => void;
  /** The destination in words (for `UnroutableError`). */
  readonly destination: string;
}

/**
 * Request/reply over RabbitMQ direct reply-to: ONE long-lived no-ack consumer on
 * `amq.rabbitmq.reply-to`, on the same plain (unconfirmed) channel the requests are published on
 * (RabbitMQ requires that), correlation by id, any number of calls in flight. Requests are published
 * mandatory, so a request nobody can receive rejects with `UnroutableError`. A timeout rejects
 * with `RequestTimeoutError` and forgets the call, so a late reply is dropped. When the channel is
 * lost, calls in flight reject with `PublishError` (their replies can no longer arrive).
 */
export class RequestReply {
  private readonly calls = new Map<string, Call>();
  private readonly publisher: ChannelPublisher;
  private closed = false;

  constructor(
    supervisor: ConnectionSupervisor,
    limits: { publishTimeoutMs: number; maxBufferedPublishes: number },
    private readonly logger: Logger,
  ) {
    this.publisher = new ChannelPublisher('request-reply', supervisor, limits, logger, {
      // Requests and replies are confirmed by their reply (or the requester's timeout): a plain
      // channel spares the broker an ack frame, and both sides a socket read, per message.
      confirms: false,
      setup: (channel, live) => this.setup(channel, live),
      onChannelLost: () =>
        this.failAll(new PublishError('The connection to RabbitMQ was lost while waiting for a reply; the reply cannot arrive any more. Retry the request.')),
      onUnconfirmedReturn: (message) => this.onReturn(message),
    });
  }

  /** A request nobody could receive came back (mandatory): its call fails at once. */
  private onReturn(message: Message): void {
    const id = message.properties.correlationId as unknown;
    if (typeof id !== 'string') return;
    const call = this.calls.get(id);
    if (call) call.reject(new UnroutableError(call.destination));
  }

  private async setup(channel: Channel, _live: LiveConnection): Promise<void> {
    await channel.consume(DIRECT_REPLY_TO, (message) => this.onReply(message), { noAck: true });
  }

  private onReply(message: ConsumeMessage | null): void {
    if (!message) return;
    const id = message.properties.correlationId as unknown;
    if (typeof id !== 'string') return;
    const call = this.calls.get(id);
    if (!call) {
      this.logger.debug({ correlationId: id }, 'metro: late or unknown reply dropped');
      return;
    }
    call.resolve({
      body: message.content,
      contentType: typeof message.properties.contentType === 'string' ? message.properties.contentType : 'application/octet-stream',
      headers: publicHeaders(message.properties.headers as Record<string, unknown> | undefined),
    });
  }

  private failAll(err: Error): void {
    const calls = [...this.calls.values()];
    this.calls.clear();
    for (const call of calls) call.reject(err);
  }

  /**
   * Publishes `raw` as a request (reply-to and correlation id set here) and resolves with the reply.
   */
  request(prepare: PreparePublish, options: RequestOptions, destination: string): Promise<ReplyMessage> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    if (options.signal?.aborted) return Promise.reject(options.signal.reason);
    // Only needs to be unique: randomUUID is pooled and much cheaper than a time-ordered id.
    const id = randomUUID();
    return new Promise<ReplyMessage>((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.calls.delete(id);
      };
      const onAbort = (): void => {
        cleanup();
        reject(options.signal?.reason);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new RequestTimeoutError(destination, options.timeoutMs));
      }, options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.calls.set(id, {
        resolve: (reply) => {
          cleanup();
          resolve(reply);
        },
        reject: (err) => {
          cleanup();
          reject(err);
        },
        destination,
      });
      // Requests are transient (their caller waits for them): not persisted by the broker.
      // `prepare` builds a fresh options object per publish, so it is completed in place (this
      // runs once per call).
      const asRequest = (raw: RawPublish): RawPublish => {
        const options = raw.options;
        options.persistent = false;
        options.replyTo = DIRECT_REPLY_TO;
        options.correlationId = id;
        return raw;
      };
      // Unconfirmed: the reply (or, for a request nobody can receive, the broker's return) is the
      // confirmation; a request lost with its channel fails the call (channel lost) or times out.
      this.publisher
        .publishUnconfirmed((live) => {
          // Synchronous when nothing needs declaring, so the publisher takes its hot path.
          const raw = prepare(live);
          return raw instanceof Promise ? raw.then(asRequest) : asRequest(raw);
        })
        .catch((err: unknown) => {
          const call = this.calls.get(id);
          if (call) call.reject(err);
        });
    });
  }

  /**
   * Sends a reply to another service's request on the same plain channel (transient and
   * unconfirmed: a lost reply ends in the requester's timeout), waiting for the channel only when
   * there is none yet.
   */
  reply(raw: RawPublish): Promise<void> {
    if (this.closed) return Promise.reject(new TransportClosedError());
    return this.publisher.publishUnconfirmed(() => raw);
  }

  /** Rejects calls in flight with `TransportClosedError` and closes the channel. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new TransportClosedError('The transport was closed while waiting for a reply.'));
    await this.publisher.close();
  }
}
