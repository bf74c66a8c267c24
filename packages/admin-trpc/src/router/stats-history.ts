/** A bounded ring of recent samples (for charts): the oldest drop off, at most one per `minGapMs`. */
export class StatsHistory<T> {
  readonly #items: T[] = [];
  #lastAt = 0;
  constructor(
    private readonly capacity = 120,
    private readonly minGapMs = 1000,
  ) {}

  push(item: T, now = Date.now()): void {
    if (now - this.#lastAt < this.minGapMs && this.#items.length > 0) {
      this.#items[this.#items.length - 1] = item;
      return;
    }
    this.#lastAt = now;
    this.#items.push(item);
    if (this.#items.length > this.capacity) this.#items.shift();
  }

  items(): T[] {
    return [...this.#items];
  }
}
