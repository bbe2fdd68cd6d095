/**
 * One error class for the whole gateway, with a machine-readable code and context.
 * Callers branch on `code`, never on message text (after zwave-js `ZWaveError`).
 * Codes are grouped by module: FRAME_*, DRIVER_*, TRANSPORT_*, STORE_*, LOG_*, SYNC_*, CONFIG_*, REGIME_*, CLI_*.
 */
export type GkhErrorCode =
  // config
  | 'CONFIG_INVALID'
  | 'CONFIG_READ'
  // store
  | 'STORE_OPEN'
  | 'STORE_MIGRATION'
  | 'STORE_APPEND_ONLY'
  | 'STORE_CORRUPT'
  // keys
  | 'KEY_EXISTS'
  | 'KEY_READ'
  | 'KEY_INVALID'
  // nodered
  | 'NODERED_NO_AUTH'
  | 'NODERED_AUTH_INVALID'
  | 'NODERED_SECRET'
  | 'NODERED_START'
  | 'NODERED_RUNNING'
  // cli
  | 'CLI_USAGE'
  | 'CLI_NOT_IMPLEMENTED'
  | (string & { readonly __brand?: 'GkhErrorCode' });

export class GkhError extends Error {
  override readonly name = 'GkhError';
  constructor(
    readonly code: GkhErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True when `e` is a GkhError, optionally with the given code or code prefix (e.g. `'FRAME_'`). */
export function isGkhError(e: unknown, code?: string): e is GkhError {
  if (!(e instanceof GkhError)) return false;
  if (code === undefined) return true;
  return code.endsWith('_') ? e.code.startsWith(code) : e.code === code;
}
