/**
 * Versioned schema migrations. Each table has one owner module (named in `owner`); other modules use
 * the owner's exported functions. Never edit a released migration: add a new one.
 */
export interface Migration {
  version: number;
  owner: 'store/readings' | 'store/events' | 'store/evidence' | 'store/cursors' | 'store/meta' | (string & {});
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    owner: 'store/meta',
    name: 'meta key/value',
    sql: `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;`,
  },
  {
    version: 2,
    owner: 'store/readings',
    name: 'hourly readings with raw frames',
    sql: `
      CREATE TABLE readings (
        id INTEGER PRIMARY KEY,
        meter_id TEXT NOT NULL,
        system INTEGER NOT NULL,
        hour_start INTEGER NOT NULL,        -- unix seconds, UTC, start of the hour
        source TEXT NOT NULL CHECK (source IN ('archive', 'integrated')),
        values_json TEXT NOT NULL,          -- {"Q":{"value":1.234,"unit":"Gcal"}, ...}
        flags_json TEXT NOT NULL DEFAULT '[]',
        raw_frames_json TEXT NOT NULL,      -- ["68 1f 1f 68 ...", ...] hex, as received
        read_at INTEGER NOT NULL,           -- unix ms, gateway clock
        meter_clock INTEGER,                -- unix seconds, meter clock at read time
        log_index INTEGER,                  -- index of the evidence log entry holding it
        UNIQUE (meter_id, system, hour_start)
      ) STRICT;
      CREATE INDEX readings_hour ON readings (hour_start);`,
  },
  {
    version: 3,
    owner: 'store/events',
    name: 'events',
    sql: `
      CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,                -- unix ms
        type TEXT NOT NULL,
        meter_id TEXT,
        data_json TEXT NOT NULL,
        log_index INTEGER
      ) STRICT;
      CREATE INDEX events_at ON events (at);`,
  },
  {
    version: 4,
    owner: 'store/evidence',
    name: 'append-only evidence log and checkpoints',
    sql: `
      CREATE TABLE log_entries (
        idx INTEGER PRIMARY KEY,            -- 0-based leaf index
        entry BLOB NOT NULL,                -- canonical JSON (RFC 8785) bytes
        leaf_hash BLOB NOT NULL CHECK (length(leaf_hash) = 32)
      ) STRICT;
      CREATE TRIGGER log_entries_no_update BEFORE UPDATE ON log_entries
        BEGIN SELECT RAISE(ABORT, 'evidence log is append-only: UPDATE refused'); END;
      CREATE TRIGGER log_entries_no_delete BEFORE DELETE ON log_entries
        BEGIN SELECT RAISE(ABORT, 'evidence log is append-only: DELETE refused'); END;
      CREATE TRIGGER log_entries_contiguous BEFORE INSERT ON log_entries
        WHEN NEW.idx IS NOT (SELECT COALESCE(MAX(idx) + 1, 0) FROM log_entries)
        BEGIN SELECT RAISE(ABORT, 'evidence log index must be contiguous'); END;
      CREATE TABLE checkpoints (
        size INTEGER PRIMARY KEY,
        root BLOB NOT NULL CHECK (length(root) = 32),
        note TEXT NOT NULL,                 -- C2SP signed note
        created_at INTEGER NOT NULL         -- unix ms
      ) STRICT;
      CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: UPDATE refused'); END;
      CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
        BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only: DELETE refused'); END;`,
  },
  {
    version: 5,
    owner: 'store/cursors',
    name: 'per-destination delivery cursors',
    sql: `
      CREATE TABLE cursors (
        destination TEXT PRIMARY KEY,
        acked_size INTEGER NOT NULL DEFAULT 0,
        cosignature TEXT,
        acked_at INTEGER                    -- unix ms
      ) STRICT;`,
  },
];
