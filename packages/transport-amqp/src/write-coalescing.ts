import type { ChannelModel } from 'amqplib';

/** The parts of amqplib's connection internals this file touches (amqplib 0.10). */
interface MuxLike {
  _readIncoming: () => void;
}
interface StreamLike {
  cork: () => void;
  uncork: () => void;
}
interface ConnectionLike {
  muxer?: MuxLike;
  stream?: StreamLike;
}

const PATCHED = Symbol.for('metro.amqp.coalescedWrites');

/**
 * Coalesces the socket writes of one amqplib connection. amqplib queues the frames of each channel
 * and, once per event-loop turn, its muxer writes them to the socket one `write` per frame chunk:
 * with `noDelay` that is one syscall (and often one TCP segment) per message. Corking the socket
 * around that flush turns them into one `writev`. Frames, their order and their flow control are
 * unchanged (the muxer still stops at the socket's high-water mark).
 *
 * Relies on amqplib's internal `connection.muxer` / `connection.stream`; when they are not there
 * (another amqplib version) the connection is left as it is. Returns whether it applied.
 */
export function coalesceWrites(model: ChannelModel): boolean {
  const connection = (model as unknown as { connection?: ConnectionLike }).connection;
  const muxer = connection?.muxer;
  const stream = connection?.stream;
  if (!muxer || !stream || typeof muxer._readIncoming !== 'function' || typeof stream.cork !== 'function' || typeof stream.uncork !== 'function') {
    return false;
  }
  const marked = muxer as MuxLike & { [PATCHED]?: boolean };
  if (marked[PATCHED]) return true;
  const flush = muxer._readIncoming;
  marked._readIncoming = function coalescedReadIncoming(this: MuxLike): void {
    stream.cork();
    try {
      flush.call(this);
    } finally {
      stream.uncork();
    }
  };
  marked[PATCHED] = true;
  return true;
}
