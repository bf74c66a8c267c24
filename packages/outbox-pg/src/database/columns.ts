// Column values as the drivers hand them back (pg and PGlite differ), turned into what Metro's records hold.

/** Parses a jsonb value whatever the driver handed back (object or text). */
export function jsonValue<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

/** A timestamp column as a Date. */
export function toDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** A bytea column as a plain Uint8Array (pg gives a Buffer). */
export function toBytes(value: Uint8Array): Uint8Array {
  return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
}
