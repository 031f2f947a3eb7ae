// Structured, line-oriented logging to stderr (JSON when not a TTY), shared by every process.
// Never log secrets: tokens, passwords and private keys are passed through `redact` by callers.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

export function createLogger(component: string, level: LogLevel = (process.env.VIGIL_LOG_LEVEL as LogLevel) || 'info'): Logger {
  const min = order[level] ?? order.info;
  const json = !process.stderr.isTTY;
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < min) return;
    const time = new Date().toISOString();
    if (json) {
      process.stderr.write(JSON.stringify({ time, level: lvl, component, msg, ...fields }) + '\n');
    } else {
      const extra = fields && Object.keys(fields).length ? ' ' + JSON.stringify(fields) : '';
      process.stderr.write(`${time} ${lvl.toUpperCase().padEnd(5)} [${component}] ${msg}${extra}\n`);
    }
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${component}.${sub}`, level),
  };
}
