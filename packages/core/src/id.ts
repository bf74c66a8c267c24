import { createHash, randomFillSync } from 'node:crypto';

// Random bytes are drawn from a pool refilled 4 KiB at a time: one syscall per 256 ids, not per id.
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** Reserves `size` random bytes of the pool and returns where they start (read them in place: no copy). */
function takeRandom(size: number): number {
  if (poolOffset + size > POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const at = poolOffset;
  poolOffset += size;
  return at;
}

/** ASCII codes of the two hex digits of every byte value. */
const HEX_PAIRS = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  const pair = b.toString(16).padStart(2, '0');
  HEX_PAIRS[b] = (pair.charCodeAt(0) << 8) | pair.charCodeAt(1);
}
/** Where each of the 16 bytes' two hex digits go in `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
const HEX_OFFSETS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/** The id's text is written here, then read out as one string (one allocation per id). */
const text = Buffer.alloc(36, '-'.charCodeAt(0));

function writeByte(index: number, value: number): void {
  const pair = HEX_PAIRS[value & 0xff]!;
  const at = HEX_OFFSETS[index]!;
  text[at] = pair >>> 8;
  text[at + 1] = pair & 0xff;
}

let lastMs = 0;
let sequence = 0;

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits, so ids sort by creation time.
 * Ids made in the same millisecond by one process stay ordered (a 12-bit counter in `rand_a`).
 *
 * @example
 * ```ts
 * const id = uuidv7(); // '0190b6b5-8a3e-7c1a-9f2b-3c4d5e6f7a8b'
 * ```
 */
export function uuidv7(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = pool.readUInt16BE(takeRandom(2)) & 0x3ff; // leave headroom for the counter
  } else {
    sequence++;
    if (sequence > 0xfff) {
      lastMs++;
      sequence = 0;
    }
  }
  const ms = lastMs;
  writeByte(0, Math.floor(ms / 2 ** 40));
  writeByte(1, Math.floor(ms / 2 ** 32));
  writeByte(2, ms >>> 24);
  writeByte(3, ms >>> 16);
  writeByte(4, ms >>> 8);
  writeByte(5, ms);
  writeByte(6, 0x70 | ((sequence >>> 8) & 0x0f));
  writeByte(7, sequence);
  const random = takeRandom(8);
  writeByte(8, (pool[random]! & 0x3f) | 0x80);
  for (let i = 1; i < 8; i++) writeByte(8 + i, pool[random + i]!);
  return text.toString('latin1', 0, 36);
}

/**
 * A UUID-shaped (version 8) id derived from a SHA-256 of the given parts: the same input always gives the same id.
 *
 * @example
 * ```ts
 * deterministicId('legacy', 'user.created', body) === deterministicId('legacy', 'user.created', body); // true
 * ```
 */
export function deterministicId(...parts: ReadonlyArray<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(part);
    hash.update('\u0000');
  }
  const hex = hash.digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
