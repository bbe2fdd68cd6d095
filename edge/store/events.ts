/** Owner of the `events` table: comm lost/restored, identity changes, clock drift, verdict changes, boots … */
import type { Db } from './db.js';

export interface EventRow {
  /** Unix ms. */
  at: number;
  type: string;
  meterId?: string | null;
  data: Record<string, unknown>;
  logIndex?: number | null;
}

/** Appends an event; returns its row id. */
export function insertEvent(db: Db, e: EventRow): number {
  const info = db.prepare('INSERT INTO events (at, type, meter_id, data_json, log_index) VALUES (?, ?, ?, ?, ?)').run(e.at, e.type, e.meterId ?? null, JSON.stringify(e.data), e.logIndex ?? null);
  return Number(info.lastInsertRowid);
}

/** The newest `limit` events, newest first. */
export function recentEvents(db: Db, limit = 50): EventRow[] {
  const rows = db.prepare('SELECT at, type, meter_id, data_json, log_index FROM events ORDER BY id DESC LIMIT ?').all(limit) as {
    at: number;
    type: string;
    meter_id: string | null;
    data_json: string;
    log_index: number | null;
  }[];
  return rows.map((r) => ({ at: r.at, type: r.type, meterId: r.meter_id, data: JSON.parse(r.data_json) as Record<string, unknown>, logIndex: r.log_index }));
}
