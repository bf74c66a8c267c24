import type { Codec } from '../codec.js';
import { ConfigurationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { deferredReplayHeaders, failureReplayHeaders } from '../replay.js';
import { validate } from '../schema.js';
import type { DeferredStore } from '../stores/deferred-store.js';
import type { FailureStore } from '../stores/failure-store.js';
import type { HeaderValue, Transport } from '../transport.js';
import type { Subscriptions } from './subscriptions.js';

/** The bus's replay of stored messages: failures and deferred messages back onto their queue. */
export interface BusReplay {
  /** See `metro.retryFailure`. */
  retryFailure(id: string, options?: { payload?: unknown }): Promise<boolean>;
  /** See `metro.completeDeferred`. */
  completeDeferred(seq: number): Promise<boolean>;
  /** See `metro.resumeDeferred`. */
  resumeDeferred(seq: number): Promise<boolean>;
}

/** What replaying needs from the bus. */
export interface BusReplayDeps {
  readonly service: string;
  readonly transport: Transport;
  readonly failures: FailureStore;
  readonly deferred: DeferredStore;
  readonly codec: Codec;
  readonly logger: Logger;
  readonly subscriptions: Subscriptions<unknown>;
}

/**
 * Builds the bus's replay part. A replay's headers come from `replay.ts` (one home for them);
 * a claimed record is released, or a taken one restored, when its publish fails.
 *
 * @example
 * ```ts
 * const replay = createBusReplay({ service, transport, failures, deferred, codec, logger, subscriptions });
 * await replay.retryFailure(failureId);
 * ```
 */
export function createBusReplay(deps: BusReplayDeps): BusReplay {
  const { service, transport, failures, deferred, codec, logger, subscriptions } = deps;

  async function republish(queue: string, body: Uint8Array, messageId: string, contentType: string, headers: Record<string, HeaderValue>): Promise<void> {
    await transport.publish({ destination: { kind: 'queue', queue }, body, messageId, contentType, headers });
  }

  return {
    async retryFailure(id, retryOptions = {}) {
      const record = await failures.claimRetry(id);
      if (!record) return false;
      try {
        let body = record.body;
        let contentType = record.contentType;
        if ('payload' in retryOptions) {
          if (!record.envelope)
            throw new ConfigurationError(
              `Failure ${id} has no decoded envelope (reason "${record.reason}"); it can be retried only as it was, without a new payload.`,
            );
          const entry = subscriptions.findEntry(record.queue, record.handler, record.envelope.kind === 'command' ? record.envelope.type : null);
          const data = entry?.schema ? await validate(entry.schema, retryOptions.payload, `New payload of failure ${id}`) : retryOptions.payload;
          const group = subscriptions.groups.get(record.queue);
          const encoded = (group?.router.codecFor(record.topic ?? undefined) ?? codec).encode({ ...record.envelope, data });
          body = encoded.body;
          contentType = encoded.contentType;
        }
        await republish(record.queue, body, record.messageId, contentType, failureReplayHeaders(record));
        logger.info({ service, failureId: id, messageId: record.messageId }, 'failure replayed');
        return true;
      } catch (err) {
        await failures.releaseRetry(id);
        throw err;
      }
    },
    async completeDeferred(seq) {
      return (await deferred.take(seq)) !== undefined;
    },
    async resumeDeferred(seq) {
      const record = await deferred.take(seq);
      if (!record) return false;
      try {
        await republish(record.queue, record.body, record.messageId, record.contentType, deferredReplayHeaders(record));
        return true;
      } catch (err) {
        await deferred.restore(record);
        throw err;
      }
    },
  };
}
