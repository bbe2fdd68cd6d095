/**
 * Reading the evidence log out of a SQLite store for reports: the `log_entries` table (idx, entry =
 * canonical JSON bytes, leaf_hash) has the same name and shape in the gateway DB and in a receiver DB, so
 * a report reads either. Every entry's leaf hash is checked (RFC 6962: SHA-256(0x00 ‖ entry)) so that a
 * report never rests on a row edited behind the log's back.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dbPath, loadConfig } from '../config/index.js';
import { GkhError } from '../errors.js';
import { openDb } from '../store/index.js';
import type { LogEntry } from './report.js';

/** RFC 6962 leaf hash of an entry's bytes. */
export function leafHash(entry: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(entry).digest();
}

/** Columns a receiver may use to keep several gateways' logs in one table. */
const GATEWAY_COLUMNS = ['gw', 'gateway', 'gateway_id'];

/**
 * All entries of the log in `file`, in index order, parsed. With `gatewayId` and a gateway column in the
 * table, only that gateway's rows (the report also filters on each entry's `gw`). Throws REPORT_LOG_CORRUPT
 * when a stored leaf hash does not match its entry (both hashes in the context).
 */
export function readLogEntries(file: string, gatewayId?: string): { idx: number; entry: LogEntry }[] {
  const db = openDb(file, { readonly: true });
  try {
    const cols = (db.prepare('PRAGMA table_info(log_entries)').all() as { name: string }[]).map((c) => c.name);
    if (cols.length === 0) throw new GkhError('REPORT_NO_LOG', `${file} has no log_entries table`, { file });
    const gcol = GATEWAY_COLUMNS.find((c) => cols.includes(c));
    const sql = gcol && gatewayId !== undefined ? `SELECT idx, entry, leaf_hash FROM log_entries WHERE ${gcol} = ? ORDER BY idx` : 'SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx';
    const rows = (gcol && gatewayId !== undefined ? db.prepare(sql).all(gatewayId) : db.prepare(sql).all()) as { idx: number; entry: Buffer | string; leaf_hash: Buffer }[];
    return rows.map((r) => {
      const bytes = typeof r.entry === 'string' ? Buffer.from(r.entry, 'utf8') : r.entry;
      const calc = leafHash(bytes);
      if (!calc.equals(r.leaf_hash)) {
        throw new GkhError('REPORT_LOG_CORRUPT', `log entry ${r.idx} does not match its leaf hash`, { idx: r.idx, expected: r.leaf_hash.toString('hex'), calculated: calc.toString('hex') });
      }
      return { idx: r.idx, entry: JSON.parse(bytes.toString('utf8')) as LogEntry };
    });
  } finally {
    db.close();
  }
}

/** Where a report reads its log: the DB file and, for multi-gateway stores, which gateway. */
export interface StoreLocation {
  db: string;
  gatewayId?: string;
  /** What kind of config pointed here, for messages. */
  kind: string;
}

/** Recognises one kind of config file; returns undefined when `json` is not that kind. */
export type StoreDetector = (json: Record<string, unknown>, file: string) => StoreLocation | undefined;

/** A gateway config (has gatewayId, dataDir and meters): the log is in `<dataDir>/gateway.db`. */
export const gatewayConfigDetector: StoreDetector = (json, file) => {
  if (typeof json.gatewayId !== 'string' || typeof json.dataDir !== 'string' || !Array.isArray(json.meters)) return undefined;
  const cfg = loadConfig(file);
  return { db: dbPath(cfg), gatewayId: cfg.gatewayId, kind: 'gateway' };
};

/**
 * Detectors tried in order by `locateStore`. The receiver (receiver/) adds its own here, e.g.
 * `storeDetectors.push(receiverConfigDetector)`, returning its DB and the gateway asked for.
 */
export const storeDetectors: StoreDetector[] = [gatewayConfigDetector];

/** Finds the log store a config file points to; REPORT_CONFIG_KIND when no detector knows the file. */
export function locateStore(file: string, extra: readonly StoreDetector[] = []): StoreLocation {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GkhError('CONFIG_READ', `cannot read config ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  if (json && typeof json === 'object' && !Array.isArray(json)) {
    for (const d of [...extra, ...storeDetectors]) {
      const loc = d(json as Record<string, unknown>, file);
      if (loc) return loc;
    }
  }
  throw new GkhError('REPORT_CONFIG_KIND', `${file} is neither a gateway config nor a known receiver config; give the database with --db FILE [--gateway ID]`, { file });
}
