import { ConfigurationError } from '@metro/core';

/** A field name, or a function reading the join key from a row or item. */
export type KeySelector<T> = (keyof T & string) | ((value: T) => unknown);

/** Options of {@link merge} and {@link mergeMany}. */
export interface MergeOptions<Row, Item, As extends string> {
  /** The key on each local row (e.g. `'customerId'`). */
  readonly localKey: KeySelector<Row>;
  /** The key on each remote item (e.g. `'id'`). */
  readonly remoteKey: KeySelector<Item>;
  /** The field the remote item(s) are put in (e.g. `'customer'`). */
  readonly as: As;
  /**
   * Rows (and items) that are class instances keep their prototype: the merged row is an instance
   * of the same class (its methods and getters work), holding copies of its own enumerable fields
   * (`#private` fields are not copied: such classes need their own merge). Default false: every
   * merged row is a plain object, as bgtasks' `merge_dict` makes.
   */
  readonly keepPrototype?: boolean;
}

const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function selector<T>(key: KeySelector<T>, what: string): (value: T) => unknown {
  if (typeof key === 'function') return key;
  if (typeof key !== 'string' || FORBIDDEN.has(key))
    throw new ConfigurationError(`merge: ${what} must be a field name other than __proto__/constructor/prototype.`);
  return (value: T) => (value as Record<string, unknown>)[key];
}

function checkAs(as: string): void {
  if (typeof as !== 'string' || as === '' || FORBIDDEN.has(as)) {
    throw new ConfigurationError(`merge: \`as\` must be a non-empty field name other than __proto__/constructor/prototype, got "${String(as)}".`);
  }
}

function isPlain(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `value` in which plain objects (at any depth) lose their `__proto__`, `constructor`
 * and `prototype` keys. Arrays are copied; class instances (Date, Buffer...) are kept as they are.
 *
 * @example
 * ```ts
 * withoutPrototypeKeys(JSON.parse('{"a":1,"__proto__":{"admin":true}}')); // { a: 1 }
 * ```
 */
export function withoutPrototypeKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => withoutPrototypeKeys(v)) as T;
  if (!isPlain(value)) return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (FORBIDDEN.has(key)) continue;
    copy[key] = withoutPrototypeKeys(value[key]);
  }
  return copy as T;
}

/** A copy of `value` without prototype keys; with `keepPrototype`, a class instance stays an instance of its class. */
function copyOf<T>(value: T, keepPrototype: boolean | undefined): T {
  if (keepPrototype !== true || value === null || typeof value !== 'object' || isPlain(value) || Array.isArray(value)) return withoutPrototypeKeys(value);
  const copy = Object.create(Object.getPrototypeOf(value) as object) as Record<string, unknown>;
  for (const key of Object.keys(value)) if (!FORBIDDEN.has(key)) copy[key] = withoutPrototypeKeys((value as Record<string, unknown>)[key]);
  return copy as T;
}

function withField<Row extends object>(row: Row, as: string, value: unknown, keepPrototype: boolean | undefined): Row {
  if (keepPrototype === true && !isPlain(row)) return Object.assign(copyOf(row, true), { [as]: value });
  return { ...withoutPrototypeKeys(row), [as]: value };
}

function keyText(key: unknown): string | undefined {
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'bigint') return String(key);
  return undefined;
}

/**
 * Indexes items by key (compared as strings, so `1` matches `'1'`); the first item of each key wins.
 *
 * @example
 * ```ts
 * const byId = indexBy(customers, 'id'); byId.get('c1');
 * ```
 */
export function indexBy<Item>(items: ReadonlyArray<Item>, key: KeySelector<Item>): Map<string, Item> {
  const read = selector(key, 'key');
  const index = new Map<string, Item>();
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue;
    const text = keyText(read(item));
    if (text !== undefined && !index.has(text)) index.set(text, item);
  }
  return index;
}

/**
 * Joins one remote item onto each local row (one-to-one, e.g. order → customer): returns new rows
 * with the matching item under `as`, or `null` when there is none. Items no row asks for are ignored.
 * Rows and items are copied without `__proto__`/`constructor` keys; the inputs are not changed.
 * With `keepPrototype: true`, class instances stay instances of their class.
 *
 * @example
 * ```ts
 * const customers = await rpc.call(GetCustomers, [...new Set(orders.map((o) => o.customerId))]);
 * const rows = merge(orders, customers, { localKey: 'customerId', remoteKey: 'id', as: 'customer' });
 * rows[0].customer?.name;
 * ```
 */
export function merge<Row extends object, Item extends object, As extends string>(
  rows: ReadonlyArray<Row>,
  items: ReadonlyArray<Item>,
  options: MergeOptions<Row, Item, As>,
): Array<Row & { [K in As]: Item | null }> {
  checkAs(options.as);
  const local = selector(options.localKey, 'localKey');
  const index = indexBy(items, options.remoteKey);
  return rows.map((row) => {
    const text = keyText(local(row));
    const item = text === undefined ? undefined : index.get(text);
    return withField(row, options.as, item === undefined ? null : copyOf(item, options.keepPrototype), options.keepPrototype) as Row & {
      [K in As]: Item | null;
    };
  });
}

/**
 * Joins every matching remote item onto each local row (one-to-many, e.g. order → its shipments):
 * returns new rows with the list under `as` (empty when none match), items in their given order.
 *
 * @example
 * ```ts
 * const rows = mergeMany(orders, shipments, { localKey: 'id', remoteKey: 'orderId', as: 'shipments' });
 * ```
 */
export function mergeMany<Row extends object, Item extends object, As extends string>(
  rows: ReadonlyArray<Row>,
  items: ReadonlyArray<Item>,
  options: MergeOptions<Row, Item, As>,
): Array<Row & { [K in As]: Item[] }> {
  checkAs(options.as);
  const local = selector(options.localKey, 'localKey');
  const remote = selector(options.remoteKey, 'remoteKey');
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    if (item === null || typeof item !== 'object') continue;
    const text = keyText(remote(item));
    if (text === undefined) continue;
    let group = groups.get(text);
    if (!group) groups.set(text, (group = []));
    group.push(copyOf(item, options.keepPrototype));
  }
  return rows.map((row) => {
    const text = keyText(local(row));
    const group = text === undefined ? undefined : groups.get(text);
    return withField(row, options.as, group ? [...group] : [], options.keepPrototype) as Row & { [K in As]: Item[] };
  });
}
