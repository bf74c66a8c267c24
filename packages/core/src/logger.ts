/**
 * The logger Metro writes to: pino's shape (`logger.info(obj, msg)`), so a pino instance can be
 * passed as is. Metro always passes an object first (with `correlationId`, `messageId`, ... where known).
 */
export interface Logger {
  debug(obj: Record<string, unknown>, msg?: string): void;
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
  child?(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything. Pass it where silence is wanted (tests): `createMetro({ ..., logger: silentLogger })`. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

/** `logger.child(bindings)` when the logger has it, else the logger itself. */
export function childLogger(logger: Logger, bindings: Record<string, unknown>): Logger {
  return logger.child ? logger.child(bindings) : logger;
}

type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_NUMBER: Record<Level | 'silent', number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };

/** The lowest level the default logger writes: `METRO_LOG_LEVEL` (debug, info, warn, error, silent), else warn. */
function threshold(): number {
  const configured = process.env['METRO_LOG_LEVEL'];
  return configured !== undefined && configured in LEVEL_NUMBER ? LEVEL_NUMBER[configured as Level | 'silent'] : LEVEL_NUMBER.warn;
}

function serializable(value: unknown): unknown {
  if (value instanceof Error) {
    const { name, message, stack } = value;
    const code = (value as { code?: unknown }).code;
    return { type: name, message, stack, ...(code !== undefined ? { code } : {}) };
  }
  return value;
}

function writeLine(level: Level, bindings: Record<string, unknown>, obj: Record<string, unknown>, msg: string | undefined): void {
  if (LEVEL_NUMBER[level] < threshold()) return;
  const record: Record<string, unknown> = { level: LEVEL_NUMBER[level], time: Date.now(), ...bindings };
  for (const [key, value] of Object.entries(obj)) record[key] = serializable(value);
  if (msg !== undefined) record.msg = msg;
  let line: string;
  try {
    line = JSON.stringify(record);
  } catch {
    line = JSON.stringify({ level: LEVEL_NUMBER[level], time: record.time, msg, note: 'log fields not serializable' });
  }
  process.stderr.write(`${line}\n`);
}

function stderrLogger(bindings: Record<string, unknown>): Logger {
  return {
    debug(obj, msg) {
      writeLine('debug', bindings, obj, msg);
    },
    info(obj, msg) {
      writeLine('info', bindings, obj, msg);
    },
    warn(obj, msg) {
      writeLine('warn', bindings, obj, msg);
    },
    error(obj, msg) {
      writeLine('error', bindings, obj, msg);
    },
    child(more) {
      return stderrLogger({ ...bindings, ...more });
    },
  };
}

/**
 * Metro's default logger: warnings and errors go to stderr as JSON lines in pino's format
 * (`{"level":40,"time":...,"service":"billing","msg":"..."}`, errors with type, message and
 * stack); debug and info are dropped. The environment variable `METRO_LOG_LEVEL` (`debug`,
 * `info`, `warn`, `error`, `silent`) moves that threshold. Pass a pino instance for more, or
 * `silentLogger` for none.
 *
 * @example
 * ```ts
 * defaultLogger.warn({ queue: 'billing' }, 'consumer cancelled by the broker');
 * ```
 */
export const defaultLogger: Logger = stderrLogger({});
