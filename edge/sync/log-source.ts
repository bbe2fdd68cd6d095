/** The SyncLog a worker reads: the gateway's EvidenceLog (edge/store/evidence.ts) over its database. */
import { parseCheckpoint } from '../log/checkpoint.js';
import { makeEntry, validateEntry, type CosignatureBody } from '../log/entry.js';
import type { Db } from '../store/db.js';
import type { EvidenceLog, StoredCheckpoint } from '../store/evidence.js';
import type { WireCheckpoint } from './protocol.js';
import type { Receipt, SyncLog } from './types.js';

const wire = (c: StoredCheckpoint): WireCheckpoint => ({ size: c.size, note: c.note, createdAt: c.createdAt });

/**
 * Adapts an EvidenceLog for the sync workers. Reads of checkpoint ranges query the `checkpoints`
 * table directly (read-only; EvidenceLog has no range reader yet).
 */
export function evidenceSyncLog(log: EvidenceLog, db: Db, gatewayId: string): SyncLog {
  type Row = { size: number; root: Buffer; note: string; created_at: number };
  const toCp = (r: Row | undefined): WireCheckpoint | undefined => r && { size: r.size, note: r.note, createdAt: r.created_at };
  const within = db.prepare('SELECT size, root, note, created_at FROM checkpoints WHERE size > ? AND size <= ? ORDER BY size DESC LIMIT 1');
  const above = db.prepare('SELECT size, root, note, created_at FROM checkpoints WHERE size > ? ORDER BY size LIMIT 1');
  const range = db.prepare('SELECT size, root, note, created_at FROM checkpoints WHERE size > ? AND size <= ? ORDER BY size');
  return {
    checkpointedSize: () => log.latestCheckpoint()?.size ?? 0,
    entries: (from, to) => log.entriesRange(from, to).map((b) => b.toString('utf8')),
    checkpointFor: (from, maxTo) => toCp(within.get(from, maxTo) as Row | undefined) ?? toCp(above.get(from) as Row | undefined),
    checkpointsIn: (from, to) => (range.all(from, to) as Row[]).map((r) => ({ size: r.size, note: r.note, createdAt: r.created_at })),
    checkpointAt: (size) => {
      const c = log.checkpointAt(size);
      return c && wire(c);
    },
    entryType: (idx) => (JSON.parse(log.entriesRange(idx, idx + 1)[0]!.toString('utf8')) as { type: string }).type,
    appendReceipt(r: Receipt) {
      const body: CosignatureBody = { destination: r.destination, size: r.size, root: parseCheckpoint(r.checkpoint).root.toString('base64'), line: r.cosignature, time: r.timestamp };
      const entry = makeEntry('cosignature', gatewayId, body);
      validateEntry(entry);
      // The receipt and the checkpoint covering it commit together.
      return db.transaction(() => {
        const [idx] = log.append([entry]);
        log.checkpoint();
        return idx!;
      })();
    },
  };
}
