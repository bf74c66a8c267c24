/** One fenced code block of a markdown page: its language, its `title="..."` (if any) and its text. */
export interface CodeBlock {
  lang: string;
  title: string | undefined;
  code: string;
}

const FENCE = /^```([^\s`]*)([^\n]*)\n([\s\S]*?)^```[ \t]*$/gm;

/**
 * The fenced code blocks of a markdown page, in order.
 *
 * @example
 * ```ts
 * codeBlocks('```js title="a.js"\nx()\n```\n'); // [{ lang: 'js', title: 'a.js', code: 'x()\n' }]
 * ```
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  return [...markdown.matchAll(FENCE)].map((m) => ({ lang: m[1]!, title: /title="([^"]+)"/.exec(m[2]!)?.[1], code: m[3]! }));
}
