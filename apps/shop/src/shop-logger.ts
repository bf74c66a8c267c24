import { currentCorrelation, type Logger } from '@metro/core';

/** One log line as the shop keeps it (the demo prints them and the tests read them). */
export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly service: string;
  readonly msg: string;
  readonly correlationId: string | undefined;
  readonly fields: Record<string, unknown>;
}

/**
 * A pino-compatible logger that keeps every entry (so the demo and tests can show that one
 * order's correlation id appears in every service's logs) and optionally prints info and up.
 */
export function createShopLogger(options: { print: boolean; entries?: LogEntry[] }): { logger: (service: string) => Logger; entries: LogEntry[] } {
  const entries = options.entries ?? [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const write = (level: LogEntry['level']) => (obj: Record<string, unknown>, msg?: string) => {
      const fields = { ...bindings, ...obj };
      const service = String(fields.service ?? '?');
      // Like pino's `mixin`: code far from a handler (an HTTP route, a failure record) logs the ids of
      // the async call tree it runs in.
      const correlationId = typeof fields.correlationId === 'string' ? fields.correlationId : currentCorrelation()?.correlationId;
      const entry: LogEntry = { level, service, msg: msg ?? '', correlationId, fields };
      entries.push(entry);
      if (options.print && level !== 'debug') {
        const tag = correlationId ? ` corr=${correlationId.slice(-8)}` : '';
        const err = fields.err instanceof Error ? ` (${fields.err.message})` : typeof fields.error === 'string' ? ` (${fields.error})` : '';
        console.log(`  ${level === 'info' ? ' ' : level === 'warn' ? '!' : 'x'} [${service.padEnd(13)}]${tag} ${entry.msg}${err}`);
      }
    };
    return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error'), child: (b) => make({ ...bindings, ...b }) };
  };
  return { logger: (service) => make({ service }), entries };
}
