/**
 * The receiver's storage. One SQLite database per gateway, `<dataDir>/gateways/<gatewayId>.db`, opened
 * with edge/store `openDb`, so it has exactly the gateway's `log_entries` (idx, entry BLOB canonical
 * JSON, leaf_hash) and `checkpoints` (size, root, note, created_at) tables with their append-only and
 * contiguity triggers: anything that reads a gateway's log (the regime report, `log verify`) reads a
 * receiver's copy the same way. Receiver-only tables come as extra migrations (versions 20-29):
 *   gateway DB: rx_tree (compact Merkle range of what is stored), rx_receipts (other parties' receipts)
 *   `<dataDir>/receiver.db`: rx_rejections (every batch not stored, with the reason)
 */
import { join } from 'node:path';
import { openDb, type Db } from '../edge/store/db.js';
import type { Migration } from '../edge/store/migrations.js';

/** Migrations of a per-gateway database (after the store's own). */
export const gatewayDbMigrations: readonly Migration[] = [
  {
    version: 20,
    owner: 'receiver/store',
    name: 'receiver tree state and receipts',
    sql: `
      CREATE TABLE rx_tree (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size INTEGER NOT NULL,
        hashes_json TEXT NOT NULL           -- compact range (edge/log TreeState.hashes), hex
      ) STRICT;
      CREATE TABLE rx_receipts (
        idx INTEGER PRIMARY KEY,            -- log index of the cosignature entry
        destination TEXT NOT NULL,          -- the gateway's destination id of that party
        cosigner TEXT NOT NULL,             -- key name in the cosignature line
        size INTEGER NOT NULL,              -- log size that party acknowledged
        root TEXT NOT NULL,                 -- base64 root of that checkpoint
        timestamp INTEGER NOT NULL,         -- cosignature time, unix seconds
        verified INTEGER NOT NULL           -- 1: verified with a key from config peers; 0: no key for it
      ) STRICT;`,
  },
];

/** Migrations of `<dataDir>/receiver.db`. */
export const receiverDbMigrations: readonly Migration[] = [
  {
    version: 21,
    owner: 'receiver/store',
    name: 'rejected batches',
    sql: `
      CREATE TABLE rx_rejections (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,                -- unix ms
        gateway TEXT,                       -- from the topic (may be unknown to the registry)
        dest TEXT,
        seq INTEGER,
        from_idx INTEGER,
        batch_size INTEGER,                 -- checkpoint size the batch claimed
        stored_size INTEGER,                -- what the receiver held
        status TEXT NOT NULL,               -- rejected | duplicate | gap
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        payload_sha256 TEXT NOT NULL
      ) STRICT;
      CREATE INDEX rx_rejections_gw ON rx_rejections (gateway, at);`,
  },
];

/** Opens (creating) the database of one gateway. */
export function openGatewayDb(dataDir: string, gatewayId: string, readonly = false): Db {
  return openDb(gatewayDbFile(dataDir, gatewayId), { readonly, extraMigrations: gatewayDbMigrations });
}

/** Path of a gateway's database under the receiver's dataDir. */
export function gatewayDbFile(dataDir: string, gatewayId: string): string {
  return join(dataDir, 'gateways', `${gatewayId}.db`);
}

/** Opens (creating) `<dataDir>/receiver.db`. */
export function openReceiverDb(dataDir: string): Db {
  return openDb(join(dataDir, 'receiver.db'), { extraMigrations: receiverDbMigrations });
}

/** A row of rx_rejections. */
export interface Rejection {
  at: number;
  gateway: string | null;
  dest: string | null;
  seq: number | null;
  from: number | null;
  batchSize: number | null;
  storedSize: number | null;
  status: 'rejected' | 'duplicate' | 'gap';
  code: string;
  reason: string;
  payloadSha256: string;
}

export function insertRejection(db: Db, r: Rejection): void {
  db.prepare(
    'INSERT INTO rx_rejections (at, gateway, dest, seq, from_idx, batch_size, stored_size, status, code, reason, payload_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(r.at, r.gateway, r.dest, r.seq, r.from, r.batchSize, r.storedSize, r.status, r.code, r.reason, r.payloadSha256);
}

export function listRejections(db: Db, limit = 100): Rejection[] {
  return (
    db.prepare('SELECT * FROM rx_rejections ORDER BY id DESC LIMIT ?').all(limit) as {
      at: number;
      gateway: string | null;
      dest: string | null;
      seq: number | null;
      from_idx: number | null;
      batch_size: number | null;
      stored_size: number | null;
      status: Rejection['status'];
      code: string;
      reason: string;
      payload_sha256: string;
    }[]
  ).map((r) => ({ at: r.at, gateway: r.gateway, dest: r.dest, seq: r.seq, from: r.from_idx, batchSize: r.batch_size, storedSize: r.stored_size, status: r.status, code: r.code, reason: r.reason, payloadSha256: r.payload_sha256 }));
}

/** A receipt another party gave the gateway, as found in the gateway's log. */
export interface ReceiptRow {
  idx: number;
  destination: string;
  cosigner: string;
  size: number;
  root: string;
  timestamp: number;
  verified: boolean;
}

/** Per destination, the newest receipt (highest size). */
export function latestReceipts(db: Db): ReceiptRow[] {
  return (
    db.prepare('SELECT r.* FROM rx_receipts r WHERE r.idx = (SELECT idx FROM rx_receipts s WHERE s.destination = r.destination ORDER BY s.size DESC, s.idx DESC LIMIT 1) ORDER BY destination').all() as {
      idx: number;
      destination: string;
      cosigner: string;
      size: number;
      root: string;
      timestamp: number;
      verified: number;
    }[]
  ).map((r) => ({ ...r, verified: r.verified === 1 }));
}
