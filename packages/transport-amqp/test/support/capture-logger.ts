import type { Logger } from '@metro/core';

/** A Logger that keeps every line, so tests can assert what was reported. */
export function captureLogger(): Logger & { lines: Array<{ level: string; msg: string | undefined; obj: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string | undefined; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg?: string) => {
    lines.push({ level, msg, obj });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
