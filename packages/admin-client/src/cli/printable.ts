/**
 * Whether a code point is one a terminal may act on: C0 controls (ESC starts clear-line, window
 * title, OSC 52 clipboard and OSC 8 link sequences), DEL, C1 controls (0x9b is a one-byte CSI) and
 * the bidirectional overrides that reorder what the operator sees.
 */
function isControl(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);
}

function escaped(code: number): string {
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text from message data made safe to print: every control character written as a visible
 * escape (`\x1b`), so nothing in a message reaches the terminal as a command. With `keepLines`,
 * newlines and tabs stay (for stacks and multi-line blocks).
 *
 * @example
 * ```ts
 * printable('card declined\u001b]52;c;cm0gLXJm\u0007'); // 'card declined\\x1b]52;c;cm0gLXJm\\x07'
 * ```
 */
export function printable(text: string, keepLines = false): string {
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += isControl(code) && !(keepLines && (code === 0x0a || code === 0x09)) ? escaped(code) : char;
  }
  return out;
}

/**
 * JSON for `--json` and payload blocks: `JSON.stringify` escapes C0 controls already; DEL, C1 and
 * bidi controls are escaped too (`\u009b`), so the output is still valid JSON and never a terminal command.
 *
 * @example
 * ```ts
 * printableJson({ note: '\u009b2J' }); // '{"note":"\\u009b2J"}'
 * ```
 */
export function printableJson(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, null, indent) ?? 'null';
  let out = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    out += isControl(code) && code !== 0x0a ? `\\u${code.toString(16).padStart(4, '0')}` : char;
  }
  return out;
}
