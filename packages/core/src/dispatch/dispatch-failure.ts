import type { Envelope } from '../envelope.js';
import type { FailureReason } from '../stores/failure-store.js';

/** Why a delivery is recorded as failed before any handler runs (decode, routing, expiry). */
export class DispatchFailure {
  constructor(
    readonly reason: FailureReason,
    readonly error: unknown,
    readonly envelope: Envelope | null,
    readonly handler: string | null,
    /** The bytes to keep, when not the whole body (an oversized message is kept truncated). */
    readonly body?: Uint8Array,
  ) {}
}
