/** edge/regime: regime maps, hourly verdicts, verdict-change events, ПП 354 claims and the monthly report. */
export { regimeMapSchema } from './schema.js';
export { scheduleAt, sortSchedule, type ScheduleRow, type ScheduledTemps, type ScheduleLimit } from './schedule.js';
export { judgeHour, outdoorMean, band, type ParamVerdict, type VerdictKind, type RegimeParam, type HourInput, type HourValues } from './verdict.js';
export { verdictChanges, type VerdictEvent, type VerdictEventBody, type VerdictState } from './events.js';
export { interruptionExcessHours, interruptionRuns, hotWaterHourClaim, type Interruption } from './claims.js';
export { buildMonthlyReport, resolveMap, type MonthlyReport, type ReportQuery, type LogEntry } from './report.js';
export { toCsv, toHtml } from './render.js';
export { readLogEntries, leafHash, locateStore, storeDetectors, gatewayConfigDetector, type StoreDetector, type StoreLocation } from './logdb.js';
export { isNightHour, localTime, localMidnightUtc, localDate } from './time.js';
export { htmlToPdf, chromiumPath } from './pdf.js';
export { judgeRecord, type RecordJudgement } from './monitor.js';
