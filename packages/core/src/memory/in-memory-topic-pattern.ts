/** A compiled binding key: `true` when a routing subject matches it. */
export type TopicMatcher = (subject: string) => boolean;

/**
 * Compiles an AMQP topic binding key once: words separated by `.`, `*` matches exactly one word,
 * `#` matches zero or more words, every other word matches itself literally.
 *
 * @example
 * ```ts
 * const m = compileTopicPattern('orders.#');
 * m('orders');            // true (zero words)
 * m('orders.placed.eu');  // true
 * compileTopicPattern('orders.*')('orders'); // false
 * ```
 */
export function compileTopicPattern(pattern: string): TopicMatcher {
  const raw = pattern.split('.');
  // Adjacent `#` words are equivalent to one.
  const words: string[] = [];
  for (const word of raw) if (!(word === '#' && words[words.length - 1] === '#')) words.push(word);

  if (!words.includes('*') && !words.includes('#')) return (subject) => subject === pattern;
  if (words.length === 1 && words[0] === '#') return () => true;
  if (!words.includes('#')) {
    const n = words.length;
    return (subject) => {
      const parts = subject.split('.');
      if (parts.length !== n) return false;
      for (let i = 0; i < n; i++) if (words[i] !== '*' && words[i] !== parts[i]) return false;
      return true;
    };
  }
  return (subject) => matchWords(words, subject.split('.'));
}

/** Linear-space dynamic programme over pattern words x subject words (no exponential backtracking). */
function matchWords(words: ReadonlyArray<string>, parts: ReadonlyArray<string>): boolean {
  const m = parts.length;
  // prev[j]: pattern words [0, i) match subject words [0, j).
  let prev = new Array<boolean>(m + 1).fill(false);
  prev[0] = true;
  for (const word of words) {
    const next = new Array<boolean>(m + 1).fill(false);
    if (word === '#') {
      let any = false;
      for (let j = 0; j <= m; j++) {
        any = any || prev[j]!;
        next[j] = any;
      }
    } else {
      for (let j = 1; j <= m; j++) next[j] = prev[j - 1]! && (word === '*' || word === parts[j - 1]);
    }
    prev = next;
  }
  return prev[m]!;
}
