export { openDb, migrate, type Db, type OpenOptions } from './db.js';
export type { Migration } from './migrations.js';
export { insertReading, readingsBetween, lastStoredHour, countReadings, type ReadingRow } from './readings.js';
export { insertEvent, recentEvents, type EventRow } from './events.js';
export { getCursor, setCursor, listCursors, type Cursor } from './cursors.js';
export { getMeta, setMeta } from './meta.js';
export { LogWriter, type LogWriterOptions, type AppendedBatch } from './log-writer.js';
export { EvidenceLog, verifyEvidenceLog, verifyLogData, storedVkeys, META_VKEY, META_VKEYS, type EvidenceLogOptions, type StoredCheckpoint, type VerifyReport } from './evidence.js';
