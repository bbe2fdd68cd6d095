/** Owner of the `cursors` table: per destination, the log size its receiver acknowledged. */
import type { Db } from './db.js';

export interface Cursor {
  destination: string;
  ackedSize: number;
  cosignature: string | null;
  ackedAt: number | null;
}

/** The cursor of a destination (size 0 when it never acknowledged anything). */
export function getCursor(db: Db, destination: string): Cursor {
  const r = db.prepare('SELECT acked_size, cosignature, acked_at FROM cursors WHERE destination = ?').get(destination) as
    | { acked_size: number; cosignature: string | null; acked_at: number | null }
    | undefined;
  return { destination, ackedSize: r?.acked_size ?? 0, cosignature: r?.cosignature ?? null, ackedAt: r?.acked_at ?? null };
}

/** Records an application ack. The cursor never moves backwards. */
export function setCursor(db: Db, destination: string, ackedSize: number, cosignature: string | null, at = Date.now()): void {
  db.prepare(
    `INSERT INTO cursors (destination, acked_size, cosignature, acked_at) VALUES (?, ?, ?, ?)
     ON CONFLICT (destination) DO UPDATE SET acked_size = excluded.acked_size, cosignature = excluded.cosignature, acked_at = excluded.acked_at
     WHERE excluded.acked_size >= cursors.acked_size`,
  ).run(destination, ackedSize, cosignature, at);
}

/** All cursors. */
export function listCursors(db: Db): Cursor[] {
  return (db.prepare('SELECT destination, acked_size, cosignature, acked_at FROM cursors ORDER BY destination').all() as {
    destination: string;
    acked_size: number;
    cosignature: string | null;
    acked_at: number | null;
  }[]).map((r) => ({ destination: r.destination, ackedSize: r.acked_size, cosignature: r.cosignature, ackedAt: r.acked_at }));
}
