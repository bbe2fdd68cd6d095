/**
 * Export of received hourly readings per meter and period, as CSV or JSON. Reads `log_entries` of
 * each gateway database (the same table and shape as on the gateway), entries of type `hourly`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { HourlyBody } from '../edge/log/entry.js';
import type { ReceiverConfig } from './config.js';
import { openGatewayDb } from './store.js';

/** The hourly parameters of edge/drivers/types.ts, in CSV column order. */
export const HOURLY_PARAMS = ['Q', 'M1', 'M2', 'V1', 'V2', 't1', 't2', 't3', 'P1', 'P2', 'tOutdoor', 'hoursNormal', 'hoursError'] as const;

/** One exported hour. */
export interface ExportRow extends Pick<HourlyBody, 'meterId' | 'system' | 'hourStart' | 'tz' | 'values' | 'flags' | 'readAt'> {
  gateway: string;
  idx: number;
  source: string;
}

export interface ExportFilter {
  gateway?: string;
  meter?: string;
  /** ISO time, inclusive (hourStart >= from). */
  from?: string;
  /** ISO time, exclusive (hourStart < to). */
  to?: string;
}

/** Gateways that have a database under dataDir. */
export function storedGateways(cfg: ReceiverConfig): string[] {
  const dir = join(cfg.dataDir, 'gateways');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.db'))
    .map((f) => f.slice(0, -3))
    .sort();
}

/** Hourly rows matching the filter, per gateway in log order. */
export function exportRows(cfg: ReceiverConfig, f: ExportFilter): ExportRow[] {
  const from = f.from ? Date.parse(f.from) : -Infinity;
  const to = f.to ? Date.parse(f.to) : Infinity;
  const out: ExportRow[] = [];
  for (const gw of storedGateways(cfg)) {
    if (f.gateway !== undefined && gw !== f.gateway) continue;
    const db = openGatewayDb(cfg.dataDir, gw);
    try {
      // json_extract on the canonical JSON blob: the filter runs in SQLite, one pass over the log.
      const rows = db
        .prepare(
          `SELECT idx, entry FROM log_entries WHERE json_extract(CAST(entry AS TEXT), '$.type') = 'hourly'
           AND (? IS NULL OR json_extract(CAST(entry AS TEXT), '$.body.meterId') = ?) ORDER BY idx`,
        )
        .all(f.meter ?? null, f.meter ?? null) as { idx: number; entry: Buffer }[];
      for (const r of rows) {
        const e = JSON.parse(r.entry.toString('utf8')) as { body: Omit<ExportRow, 'gateway' | 'idx'> };
        const b = e.body;
        const t = Date.parse(b.hourStart);
        if (!(t >= from && t < to)) continue;
        out.push({ gateway: gw, idx: r.idx, meterId: b.meterId, system: b.system, hourStart: b.hourStart, tz: b.tz, values: b.values, flags: b.flags, source: b.source, readAt: b.readAt });
      }
    } finally {
      db.close();
    }
  }
  return out;
}

function csvField(s: string): string {
  return /[",\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV (RFC 4180, comma-separated, header row): one line per hour, value and unit per parameter. */
export function toCsv(rows: readonly ExportRow[]): string {
  const head = ['gateway', 'logIndex', 'meterId', 'system', 'hourStart', 'tz', ...HOURLY_PARAMS.flatMap((p) => [p, `${p}_unit`]), 'flags', 'source', 'readAt'];
  const lines = [head.join(',')];
  for (const r of rows) {
    // Values are written as the JSON number they were logged as (the meter's own resolution).
    const vals = HOURLY_PARAMS.flatMap((p) => {
      const v = r.values[p];
      return v ? [String(v.value), csvField(v.unit)] : ['', ''];
    });
    lines.push([csvField(r.gateway), String(r.idx), csvField(r.meterId), String(r.system), r.hourStart, csvField(r.tz), ...vals, csvField(r.flags.join(' ')), csvField(r.source), r.readAt].join(','));
  }
  return `${lines.join('\n')}\n`;
}
