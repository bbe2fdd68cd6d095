/**
 * edge/sync: dual delivery of the evidence log over MQTT, one independent worker per destination.
 * The wire protocol (topics, payloads, schemas) is in protocol.ts, shared with receiver/.
 */
import { isAbsolute } from 'node:path';
import { dataPath } from '../config/load.js';
import type { GatewayConfig } from '../config/types.js';
import type { Db } from '../store/db.js';
import type { EvidenceLog } from '../store/evidence.js';
import { evidenceSyncLog } from './log-source.js';
import { SyncWorker, type WorkerOptions } from './worker.js';

export * from './protocol.js';
export { SyncWorker, type WorkerOptions, type WorkerStatus } from './worker.js';
export { evidenceSyncLog } from './log-source.js';
export type { SyncLog, Receipt } from './types.js';
export { verifyCheckpointNote, verifyReceipt, cosignCheckpoint, cosignerVkey } from './cosign.js';

/**
 * One started worker per configured destination, over the gateway's evidence log. Relative
 * `passwordFile` and TLS paths resolve against dataDir. Call `notify()` on each after appending and
 * checkpointing; `stop()` each on shutdown.
 */
export function startSync(cfg: GatewayConfig, db: Db, log: EvidenceLog, opts: Partial<Omit<WorkerOptions, 'gatewayId' | 'destination' | 'db' | 'log'>> = {}): SyncWorker[] {
  const slog = evidenceSyncLog(log, db, cfg.gatewayId, opts.clock);
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : dataPath(cfg, p));
  return cfg.destinations.map((d) => {
    const destination = { ...d, passwordFile: abs(d.passwordFile), tls: d.tls && { ...d.tls, ca: abs(d.tls.ca), cert: abs(d.tls.cert), key: abs(d.tls.key) } };
    const w = new SyncWorker({ ...opts, gatewayId: cfg.gatewayId, destination, db, log: slog });
    w.start();
    return w;
  });
}
