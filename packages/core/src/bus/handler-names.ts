/** Where default handler names are counted: a queue's handlers per `topic.subject`. */
export interface NamedHandlers {
  readonly nameCounts: Map<string, number>;
}

/**
 * The default name of the next handler of `key` (`topic.subject`) on a queue: `${key}#${index}`,
 * counting every handler registered for that key there (named or not).
 *
 * @example
 * ```ts
 * nextName(group, 'orders.placed'); // 'orders.placed#0', then 'orders.placed#1'
 * ```
 */
export function nextName(group: NamedHandlers, key: string): string {
  const index = group.nameCounts.get(key) ?? 0;
  group.nameCounts.set(key, index + 1);
  return `${key}#${index}`;
}
