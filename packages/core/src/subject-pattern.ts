/** A compiled subject matcher: `true` when `subject` matches. */
export type SubjectMatcher = (subject: string) => boolean;

/** What a route's subject can be: a literal string with optional `*` / `#` words, or a RegExp. */
export type SubjectPattern = string | RegExp;

/**
 * True when a string subject pattern contains an AMQP wildcard word (`*` or `#`).
 *
 * @example
 * ```ts
 * hasWildcard('placed.*'); // true
 * hasWildcard('a*b');      // false: only whole words are wildcards
 * ```
 */
export function hasWildcard(pattern: string): boolean {
  const words = pattern.split('.');
  for (const word of words) if (word === '*' || word === '#') return true;
  return false;
}

function matchWords(pattern: ReadonlyArray<string>, p: number, subject: ReadonlyArray<string>, s: number): boolean {
  while (p < pattern.length) {
    const word = pattern[p]!;
    if (word === '#') {
      if (p === pattern.length - 1) return true;
      for (let k = s; k <= subject.length; k++) if (matchWords(pattern, p + 1, subject, k)) return true;
      return false;
    }
    if (s >= subject.length) return false;
    if (word !== '*' && word !== subject[s]) return false;
    p++;
    s++;
  }
  return s === subject.length;
}

/**
 * Compiles a subject pattern once into a matcher. A string is literal (characters such as `[`
 * or `$` match themselves) except for whole words `*` (exactly one word) and `#` (zero or more
 * words), AMQP topic style; a RegExp is tested as is.
 *
 * @example
 * ```ts
 * const m = compileSubjectPattern('placed.*');
 * m('placed.eu'); // true
 * m('placed');    // false
 * compileSubjectPattern('a.#')('a'); // true
 * ```
 */
export function compileSubjectPattern(pattern: SubjectPattern): SubjectMatcher {
  if (pattern instanceof RegExp) {
    const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
    return (subject) => re.test(subject);
  }
  if (!hasWildcard(pattern)) return (subject) => subject === pattern;
  if (pattern === '#') return () => true;
  const words = pattern.split('.');
  return (subject) => matchWords(words, 0, subject.split('.'), 0);
}
