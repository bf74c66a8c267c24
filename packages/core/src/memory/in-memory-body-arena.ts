/** Chunk size of an {@link InMemoryBodyArena}; bodies up to an eighth of it share chunks. */
const CHUNK_BYTES = 64 * 1024;
const SHARED_MAX = CHUNK_BYTES / 8;

/** Where {@link InMemoryBodyArena.store} put a body: its bytes start at `offset` in `chunk`. */
export interface BodySlot {
  chunk: Uint8Array;
  offset: number;
}

/** Hands out fresh, never reused ranges of shared chunks (bigger requests get a buffer of their own). */
class ChunkCursor {
  private chunk = Buffer.allocUnsafeSlow(0);
  private used = 0;

  /** Reserves `n` bytes: they are `chunk[offset, offset + n)` of the returned chunk (read `offset` right after). */
  reserve(n: number): Buffer {
    if (n > SHARED_MAX) {
      this.offset = 0;
      return Buffer.allocUnsafeSlow(n);
    }
    if (this.used + n > this.chunk.length) {
      this.chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES); // not zeroed: only bytes written by the reserver are read
      this.used = 0;
    }
    this.offset = this.used;
    this.used += n;
    return this.chunk;
  }

  /** Where the last reserve() put its bytes. */
  offset = 0;
}

/**
 * The bytes of an in-memory broker: its own copies of the bodies it holds, and the copies it hands
 * to consumers and requesters, each carved out of 64 KiB chunks (bodies over 8 KiB get a buffer of
 * their own). Ranges are never reused; a chunk is freed by the garbage collector once nothing
 * refers to it. Stored bodies and handed-out copies come from separate chunks, so a consumer that
 * writes past its copy (through `body.buffer`) can never reach a body the broker keeps.
 *
 * Why: a queue of n messages holds no typed array per message (a stored body is a `(chunk,
 * offset, length)` triple in the message itself), storing a 1 KiB body is one `set` into memory
 * already there, and handing one out costs a slice of a 64 KiB chunk instead of one of Node's 8 KiB
 * pool (`Buffer.from`, `Buffer.allocUnsafe`), whose refills cost more per byte.
 *
 * @example
 * ```ts
 * const arena = new InMemoryBodyArena();
 * const slot = arena.store(bytes);                       // shared object: read it before the next store()
 * const kept = { chunk: slot.chunk, offset: slot.offset, length: bytes.length };
 * const copy = arena.read(kept.chunk, kept.offset, kept.length); // a Buffer the caller owns
 * ```
 */
export class InMemoryBodyArena {
  private readonly stored = new ChunkCursor();
  private readonly handedOut = new ChunkCursor();
  /** Reused by every store() (no allocation per message). */
  private readonly slot: BodySlot = { chunk: new Uint8Array(0), offset: 0 };

  /** Copies `body` in and returns where it went (a shared object, overwritten by the next call). */
  store(body: Uint8Array): Readonly<BodySlot> {
    const chunk = this.stored.reserve(body.length);
    const offset = this.stored.offset;
    chunk.set(body, offset);
    this.slot.chunk = chunk;
    this.slot.offset = offset;
    return this.slot;
  }

  /** A copy of `length` bytes of `chunk` from `offset` (a stored body), as a `Buffer` the caller owns. */
  read(chunk: Uint8Array, offset: number, length: number): Buffer {
    const out = this.handedOut.reserve(length);
    const at = this.handedOut.offset;
    out.set(new Uint8Array(chunk.buffer, chunk.byteOffset + offset, length), at);
    return Buffer.from(out.buffer, out.byteOffset + at, length);
  }

  /** A copy of `body` as a `Buffer` the caller owns. */
  copy(body: Uint8Array): Buffer {
    const out = this.handedOut.reserve(body.length);
    const at = this.handedOut.offset;
    out.set(body, at);
    return Buffer.from(out.buffer, out.byteOffset + at, body.length);
  }
}
