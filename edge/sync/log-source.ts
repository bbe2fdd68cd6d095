/** The SyncLog a worker reads: the gateway's EvidenceLog (edge/store/evidence.ts) over its database. */
import { parseCheckpoint } from '../log/checkpoint.js';
import { makeEntry, type CosignatureBody } from '../log/entry.js';
import type { Db } from '../store/db.js';
import type { EvidenceLog, StoredCheckpoint } from '../store/evidence.js';
import type { WireCheckpoint } from './protocol.js';
import type { Receipt, SyncLog } from './types.js';

const wire = (c: StoredCheckpoint): WireCheckpoint => ({ size: c.size, note: c.note, createdAt: c.createdAt });

/** Adapts an EvidenceLog for the sync workers. */
export function evidenceSyncLog(log: EvidenceLog, db: Db, gatewayId: string, now: () => number = Date.now): SyncLog {
  const checkpointedSize = () => log.latestCheckpoint()?.size ?? 0;
  return {
    checkpointedSize,
    entries: (from, to) => log.entriesRange(from, to).map((b) => b.toString('utf8')),
    checkpointFor(from, maxTo) {
      // The largest checkpoint within the limits, else (a checkpoint interval longer than the limits) the next one.
      const c = log.checkpointsBetween(from, maxTo).at(-1) ?? log.checkpointsBetween(from, checkpointedSize())[0];
      return c && wire(c);
    },
    checkpointsIn: (from, to) => log.checkpointsBetween(from, to).map(wire),
    checkpointAt: (size) => {
      const c = log.checkpointAt(size);
      return c && wire(c);
    },
    entryType: (idx) => (JSON.parse(log.entriesRange(idx, idx + 1)[0]!.toString('utf8')) as { type: string }).type,
    appendReceipt(r: Receipt) {
      const body: CosignatureBody = { destination: r.destination, size: r.size, root: parseCheckpoint(r.checkpoint).root.toString('base64'), line: r.cosignature, time: r.timestamp };
      // Built from a verified ack by typed code: the entry schema holds by construction (validating
      // here would compile every entry schema in the gateway just for receipts).
      const entry = makeEntry('cosignature', gatewayId, body, now());
      // The receipt and the checkpoint covering it commit together.
      return db.transaction(() => {
        const [idx] = log.append([entry]);
        log.checkpoint();
        return idx!;
      })();
    },
  };
}
