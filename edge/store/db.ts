/**
 * Opens the gateway's SQLite database (better-sqlite3): WAL journal, synchronous=FULL (a committed
 * transaction survives a power cut, not only a crash), foreign keys on, and versioned migrations.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { GkhError } from '../errors.js';
import { migrations, type Migration } from './migrations.js';

export type Db = Database.Database;

export interface OpenOptions {
  /** Open without writing (no migrations); for `log verify` and other inspections. */
  readonly?: boolean;
  /** Extra migrations a caller owns (e.g. the receiver's tables), applied after the store's own. */
  extraMigrations?: readonly Migration[];
}

/** Opens (creating if needed) the database at `file` and brings its schema up to date. */
export function openDb(file: string, opts: OpenOptions = {}): Db {
  let db: Db;
  try {
    if (!opts.readonly) mkdirSync(dirname(file), { recursive: true });
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new GkhError('STORE_OPEN', `cannot open database ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  if (!opts.readonly) {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    // 2 MiB page cache instead of better-sqlite3's 16 MiB: the gateway's working set is the tail of a
    // few tables, and a Raspberry Pi-class box has the 100 MB RSS budget (scripts/bench/runtime.ts).
    db.pragma('cache_size = -2000');
    migrate(db, [...migrations, ...(opts.extraMigrations ?? [])]);
  }
  return db;
}

/** Applies, in one transaction each, every migration whose version is above `PRAGMA user_version`. */
export function migrate(db: Db, list: readonly Migration[]): void {
  const sorted = [...list].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) throw new GkhError('STORE_MIGRATION', `two migrations share version ${sorted[i]!.version}`);
  }
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of sorted) {
    if (m.version <= current) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    } catch (e) {
      throw new GkhError('STORE_MIGRATION', `migration ${m.version} (${m.owner}: ${m.name}) failed: ${(e as Error).message}`, { version: m.version }, { cause: e });
    }
  }
}
