import { ConfigurationError, type Duration } from '@metro/core';
import type { AnyProcedure, ProcedureInput, ProcedureOutput } from '../procedure/procedure.js';

/** Keys a loader batches. Compared as strings: `1` and `'1'` are the same key. */
export type LoaderKey = string | number;

type ElementOf<T> = T extends ReadonlyArray<infer E> ? E : never;

/** The key type of a procedure whose input is a list of keys. */
export type LoaderKeyOf<P extends AnyProcedure> = ElementOf<ProcedureInput<P>> extends LoaderKey ? ElementOf<ProcedureInput<P>> : never;
/** The item type of a procedure whose output is a list of items. */
export type LoaderItemOf<P extends AnyProcedure> = ElementOf<ProcedureOutput<P>>;

/**
 * How a loader talks to its procedure. The procedure takes a list of keys and returns a list of
 * items (in any order, missing ones left out); `key` names the item field that holds each item's key.
 */
export interface LoaderOptions<P extends AnyProcedure, K extends LoaderKey, Item> {
  /** The item field holding its key (e.g. `'id'`), or a function reading it. */
  readonly key: (keyof Item & string) | ((item: Item) => unknown);
  /** At most this many keys per call; more keys in one tick make several calls. Default 1000. */
  readonly maxBatch?: number;
  /** Builds the procedure input from the keys. Default: the key list itself (input schema `z.array(z.string())`). */
  readonly input?: (keys: K[]) => ProcedureInput<P>;
  /** Reads the items from the procedure output. Default: the output itself (output schema `z.array(Item)`). */
  readonly items?: (output: ProcedureOutput<P>) => ReadonlyArray<Item>;
  /** Timeout of each batch call. Default: the rpc's `defaultTimeout`. */
  readonly timeout?: Duration;
}

/** Batches lookups made in one tick into one call (DataLoader style). */
export interface Loader<K extends LoaderKey, Item> {
  /** The item with this key, or `null` if the remote has none. Rejects with the batch call's error. */
  load(key: K): Promise<Item | null>;
  /** `load` for each key, in the order given. */
  loadMany(keys: ReadonlyArray<K>): Promise<Array<Item | null>>;
  /** Calls made so far (each one a round trip). */
  readonly calls: number;
}

interface Waiter<Item> {
  resolve(item: Item | null): void;
  reject(err: unknown): void;
}

/**
 * Creates a loader over `call` (used by `rpc.loader`): every `load(key)` made in the same tick of
 * the event loop is sent as one call with the distinct keys, and each caller gets its own item back.
 *
 * @example
 * ```ts
 * const customers = createLoader((input) => rpc.call(GetCustomers, input), { key: 'id' });
 * const [a, b] = await Promise.all([customers.load('c1'), customers.load('c2')]); // one call
 * ```
 */
export function createLoader<P extends AnyProcedure, K extends LoaderKey, Item>(
  call: (input: ProcedureInput<P>, timeout: Duration | undefined) => Promise<ProcedureOutput<P>>,
  options: LoaderOptions<P, K, Item>,
): Loader<K, Item> {
  const maxBatch = options.maxBatch ?? 1000;
  if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new ConfigurationError(`Loader maxBatch must be a positive integer, got ${String(options.maxBatch)}.`);
  const keyOf: (item: Item) => unknown =
    typeof options.key === 'function'
      ? options.key
      : (
          (field: string) => (item: Item) =>
            (item as Record<string, unknown>)[field]
        )(options.key);
  const toInput = options.input ?? ((keys: K[]) => keys as unknown as ProcedureInput<P>);
  const toItems = options.items ?? ((output: ProcedureOutput<P>) => output as unknown as ReadonlyArray<Item>);

  let pending = new Map<string, { key: K; waiters: Array<Waiter<Item>> }>();
  let scheduled = false;
  let calls = 0;

  const dispatchBatch = async (batch: Array<{ key: K; waiters: Array<Waiter<Item>> }>): Promise<void> => {
    calls++;
    try {
      const output = await call(toInput(batch.map((entry) => entry.key)), options.timeout);
      const items = toItems(output);
      if (!Array.isArray(items)) throw new ConfigurationError('Loader: the procedure output is not a list of items. Pass `items: (output) => output.items`.');
      const byKey = new Map<string, Item>();
      for (const item of items as Item[]) {
        if (item === null || typeof item !== 'object') continue;
        const key = keyOf(item);
        if (key === undefined || key === null) continue;
        const text = String(key);
        if (!byKey.has(text)) byKey.set(text, item);
      }
      for (const entry of batch) {
        const item = byKey.get(String(entry.key)) ?? null;
        for (const waiter of entry.waiters) waiter.resolve(item);
      }
    } catch (err) {
      for (const entry of batch) for (const waiter of entry.waiters) waiter.reject(err);
    }
  };

  const dispatch = (): void => {
    scheduled = false;
    const entries = [...pending.values()];
    pending = new Map();
    for (let i = 0; i < entries.length; i += maxBatch) void dispatchBatch(entries.slice(i, i + maxBatch));
  };

  const load = (key: K): Promise<Item | null> =>
    new Promise<Item | null>((resolve, reject) => {
      if (typeof key !== 'string' && typeof key !== 'number') {
        reject(new ConfigurationError(`Loader keys must be strings or numbers, got ${typeof key}.`));
        return;
      }
      const text = String(key);
      let entry = pending.get(text);
      if (!entry) {
        entry = { key, waiters: [] };
        pending.set(text, entry);
      }
      entry.waiters.push({ resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(dispatch);
      }
    });

  return {
    load,
    loadMany: (keys) => Promise.all(keys.map((key) => load(key))),
    get calls() {
      return calls;
    },
  };
}
