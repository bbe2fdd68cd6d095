/** Owner of the `readings` table: hourly records with their raw frames. */
import type { Db } from './db.js';

/** A stored hourly record. Values keep the meter's resolution; units as the meter reports. */
export interface ReadingRow {
  meterId: string;
  system: number;
  /** Unix seconds, UTC start of the hour. */
  hourStart: number;
  source: 'archive' | 'integrated';
  values: Record<string, { value: number; unit: string }>;
  flags: string[];
  rawFrames: string[];
  /** Unix ms, gateway clock. */
  readAt: number;
  /** Unix seconds, meter clock, when read. */
  meterClock?: number | null;
  logIndex?: number | null;
}

/**
 * Inserts a reading; returns false (and changes nothing) when that meter/system/hour is already stored,
 * so a re-read hour is never duplicated.
 */
export function insertReading(db: Db, r: ReadingRow): boolean {
  const info = db
    .prepare(
      `INSERT INTO readings (meter_id, system, hour_start, source, values_json, flags_json, raw_frames_json, read_at, meter_clock, log_index)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (meter_id, system, hour_start) DO NOTHING`,
    )
    .run(r.meterId, r.system, r.hourStart, r.source, JSON.stringify(r.values), JSON.stringify(r.flags), JSON.stringify(r.rawFrames), r.readAt, r.meterClock ?? null, r.logIndex ?? null);
  return info.changes === 1;
}

interface RawRow {
  meter_id: string;
  system: number;
  hour_start: number;
  source: 'archive' | 'integrated';
  values_json: string;
  flags_json: string;
  raw_frames_json: string;
  read_at: number;
  meter_clock: number | null;
  log_index: number | null;
}

function fromRow(r: RawRow): ReadingRow {
  return {
    meterId: r.meter_id,
    system: r.system,
    hourStart: r.hour_start,
    source: r.source,
    values: JSON.parse(r.values_json) as ReadingRow['values'],
    flags: JSON.parse(r.flags_json) as string[],
    rawFrames: JSON.parse(r.raw_frames_json) as string[],
    readAt: r.read_at,
    meterClock: r.meter_clock,
    logIndex: r.log_index,
  };
}

/** Readings of one meter (all systems, or one) with hourStart in [from, to), in hour order. */
export function readingsBetween(db: Db, meterId: string, from: number, to: number, system?: number): ReadingRow[] {
  const rows = (
    system === undefined
      ? db.prepare('SELECT * FROM readings WHERE meter_id = ? AND hour_start >= ? AND hour_start < ? ORDER BY hour_start, system').all(meterId, from, to)
      : db.prepare('SELECT * FROM readings WHERE meter_id = ? AND system = ? AND hour_start >= ? AND hour_start < ? ORDER BY hour_start').all(meterId, system, from, to)
  ) as RawRow[];
  return rows.map(fromRow);
}

/** Newest stored hour (unix seconds) of a meter's heat system, or undefined when none is stored. */
export function lastStoredHour(db: Db, meterId: string, system: number): number | undefined {
  const r = db.prepare('SELECT MAX(hour_start) AS h FROM readings WHERE meter_id = ? AND system = ?').get(meterId, system) as { h: number | null };
  return r.h ?? undefined;
}

/** Number of stored readings, optionally of one meter. */
export function countReadings(db: Db, meterId?: string): number {
  const r = (meterId === undefined ? db.prepare('SELECT COUNT(*) AS n FROM readings').get() : db.prepare('SELECT COUNT(*) AS n FROM readings WHERE meter_id = ?').get(meterId)) as { n: number };
  return r.n;
}
