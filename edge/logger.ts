/**
 * Structured log lines on stdout (one JSON object per line: t, level, ns, msg, fields), namespaces like
 * `edge:poll`. journald keeps them; `jq` reads them. OPENGKH_LOG=quiet silences info (tests).
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(ns: string): Logger;
}

const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

function threshold(): number {
  const v = process.env.OPENGKH_LOG;
  if (v === 'quiet') return order.warn;
  if (v === 'debug') return order.debug;
  return order.info;
}

/** A logger writing JSON lines to `write` (stdout by default). */
export function createLogger(ns: string, write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const min = threshold();
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (order[level] < min) return;
    write(`${JSON.stringify({ t: new Date().toISOString(), level, ns, msg, ...fields })}\n`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${ns}:${sub}`, write),
  };
}
