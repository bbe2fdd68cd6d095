/**
 * Owner of the `samples` table: cumulative registers of meters without an hourly archive (plain
 * M-Bus, generic Modbus), read at hour boundaries. Two consecutive boundary samples give one
 * `integrated` hourly record (DESIGN.md "Drivers").
 */
import type { Measured } from '../drivers/types.js';
import type { Db, Migration } from '../store/index.js';

export const samplesMigration: Migration = {
  version: 40,
  owner: 'poll/samples',
  name: 'boundary samples of meters without an hourly archive',
  sql: `
    CREATE TABLE samples (
      meter_id TEXT NOT NULL,
      system INTEGER NOT NULL,
      boundary INTEGER NOT NULL,          -- unix seconds of the hour boundary the sample stands for
      taken_at INTEGER NOT NULL,          -- unix ms, gateway clock
      meter_clock INTEGER,                -- unix seconds
      values_json TEXT NOT NULL,
      raw_frames_json TEXT NOT NULL,
      PRIMARY KEY (meter_id, system, boundary)
    ) STRICT;`,
};

export interface Sample {
  meterId: string;
  system: number;
  boundary: number;
  takenAt: number;
  meterClock?: number;
  values: Record<string, Measured>;
  rawFrames: string[];
}

/** Keeps the first sample taken for a boundary (the one nearest to it). */
export function putSample(db: Db, s: Sample): void {
  db.prepare('INSERT OR IGNORE INTO samples VALUES (?, ?, ?, ?, ?, ?, ?)').run(s.meterId, s.system, s.boundary, s.takenAt, s.meterClock ?? null, JSON.stringify(s.values), JSON.stringify(s.rawFrames));
}

export function getSample(db: Db, meterId: string, system: number, boundary: number): Sample | undefined {
  const r = db.prepare('SELECT * FROM samples WHERE meter_id = ? AND system = ? AND boundary = ?').get(meterId, system, boundary) as
    | { taken_at: number; meter_clock: number | null; values_json: string; raw_frames_json: string }
    | undefined;
  if (!r) return undefined;
  return {
    meterId,
    system,
    boundary,
    takenAt: r.taken_at,
    meterClock: r.meter_clock ?? undefined,
    values: JSON.parse(r.values_json) as Record<string, Measured>,
    rawFrames: JSON.parse(r.raw_frames_json) as string[],
  };
}
