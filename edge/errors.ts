/**
 * One error class for the whole gateway, with a machine-readable code and context.
 * Callers branch on `code`, never on message text (after zwave-js `ZWaveError`).
 * Codes are grouped by module: FRAME_*, DRIVER_*, TRANSPORT_*, STORE_*, LOG_*, SYNC_*, CONFIG_*, REGIME_*, UPDATE_*, CLI_*.
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
  // evidence log (edge/log, edge/store/evidence.ts)
  | 'LOG_CANONICAL'
  | 'LOG_STATE'
  | 'LOG_PROOF'
  | 'LOG_CHECKPOINT'
  | 'LOG_NOTE'
  | 'LOG_NOTE_SIGNATURE'
  | 'LOG_NOTE_UNVERIFIED'
  | 'LOG_COSIGNATURE'
  | 'LOG_VKEY'
  | 'LOG_ENTRY_INVALID'
  | 'LOG_TAMPERED'
  | 'LOG_KEY_MISMATCH'
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
  // transports (edge/drivers/transport)
  | 'TRANSPORT_TIMEOUT'
  | 'TRANSPORT_READ_PENDING'
  | 'TRANSPORT_PORT_MISSING'
  | 'TRANSPORT_PERMISSION'
  | 'TRANSPORT_BUSY'
  | 'TRANSPORT_UNREACHABLE'
  | 'TRANSPORT_CLOSED'
  | 'TRANSPORT_IO'
  // M-Bus (edge/drivers/mbus)
  | 'FRAME_START'
  | 'FRAME_LENGTH'
  | 'FRAME_CHECKSUM'
  | 'FRAME_STOP'
  | 'FRAME_TRUNCATED'
  | 'FRAME_CONTROL'
  | 'FRAME_DATA'
  | 'FRAME_HEX'
  | 'MBUS_APPLICATION_ERROR'
  | 'MBUS_UNSUPPORTED'
  | 'MBUS_COLLISION'
  | 'MBUS_WRONG_ADDRESS'
  | 'DRIVER_NO_ARCHIVE'
  // regime and reports
  | 'REGIME_SCHEDULE'
  | 'REGIME_MAP_INVALID'
  | 'REPORT_MONTH'
  | 'REPORT_NO_CONFIG'
  | 'REPORT_GATEWAY'
  | 'REPORT_UNITS'
  | 'REPORT_NO_LOG'
  | 'REPORT_LOG_CORRUPT'
  | 'REPORT_CONFIG_KIND'
  | 'REPORT_PDF_UNAVAILABLE'
  // sync (edge/sync, receiver)
  | 'SYNC_TOPIC'
  | 'SYNC_PAYLOAD'
  | 'SYNC_BROKER'
  | 'SYNC_ACK'
  | 'SYNC_ACK_TIMEOUT'
  | 'SYNC_REJECTED'
  | 'SYNC_VKEY'
  | 'SYNC_COSIGNATURE'
  | 'SYNC_SIGNATURE'
  | 'SYNC_CHECKPOINT'
  | 'SYNC_CHECKPOINT_SHRINK'
  | 'SYNC_UNKNOWN_GATEWAY'
  | 'SYNC_ENTRY'
  | 'SYNC_FORK'
  | 'SYNC_ROOT_MISMATCH'
  | 'SYNC_GAP'
  | 'SYNC_DUPLICATE'
  // modbus / vendor archives / IEC 62056-21 / device profiles
  | 'FRAME_NOISE'
  | 'FRAME_FIELD'
  | 'FRAME_INVALID'
  | 'FRAME_UNEXPECTED_FUNCTION'
  | 'DRIVER_WRONG_ADDRESS'
  | 'DRIVER_MODBUS_EXCEPTION'
  | 'DRIVER_REQUEST'
  | 'DRIVER_ADDRESS'
  | 'PROFILE_INVALID'
  | 'PROFILE_NOT_FOUND'
  // update (edge/update): bundles, signatures, the updater
  | 'UPDATE_TAR'
  | 'UPDATE_BUNDLE'
  | 'UPDATE_MANIFEST'
  | 'UPDATE_SIGNATURE'
  | 'UPDATE_KEY'
  | 'UPDATE_PAYLOAD'
  | 'UPDATE_PLATFORM'
  | 'UPDATE_DOWNGRADE'
  | 'UPDATE_LOCKED'
  | 'UPDATE_STATE'
  | 'UPDATE_SERVICE'
  | 'UPDATE_ROLLBACK_FAILED'
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
