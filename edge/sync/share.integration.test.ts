/**
 * Scale-out: two real receiver processes in one MQTT shared subscription ($share/<group>/…) on one
 * mosquitto, sharing one data directory, split a gateway's batches and end with one complete store.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeEntry } from '../log/entry.js';
import { getCursor } from '../store/cursors.js';
import { openDb } from '../store/db.js';
import { EvidenceLog } from '../store/evidence.js';
import { startBroker, type Broker } from './broker.js';
import { hourlyBody } from './fixtures.js';
import { repoRoot, spawnReceiver, writeReceiverConfig, type ReceiverProc } from './harness.js';
import { evidenceSyncLog } from './log-source.js';
import { SyncWorker } from './worker.js';

const root = mkdtempSync(join(tmpdir(), 'gkh-share-'));
let broker: Broker | undefined;
const rxs: ReceiverProc[] = [];
let worker: SyncWorker | undefined;
afterAll(async () => {
  await worker?.stop();
  await Promise.all(rxs.map((r) => r.stop()));
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe('receivers behind one broker with a shared subscription', () => {
  it('split the batches and store every entry exactly once', { timeout: 120_000 }, async () => {
    broker = await startBroker(join(root, 'broker'));
    const db = openDb(join(root, 'gateway.db'));
    const gatewayId = 'gw-s';
    const log = EvidenceLog.open(db, { gatewayId, privateKey: generateKeyPairSync('ed25519').privateKey });
    for (let h = 0; h < 40; h++) {
      db.transaction(() => {
        log.append(Array.from({ length: 16 }, (_, m) => makeEntry('hourly', gatewayId, hourlyBody(m, h), Date.UTC(2026, 9, 1) + h * 3600_000)));
        log.checkpoint();
      })();
    }
    const cfg = writeReceiverConfig(join(root, 'rx'), { receiverId: 'uk', url: broker.url, gateways: [{ id: gatewayId, vkey: log.vkey }], shareGroup: 'receivers' });
    rxs.push(await spawnReceiver(join(root, 'rx'), cfg), await spawnReceiver(join(root, 'rx'), cfg));
    for (const r of rxs) expect(r.lines.join('\n')).toContain('subscribed $share/receivers/opengkh/gw/+/batch');
    worker = new SyncWorker({ gatewayId, destination: { id: 'uk', role: 'УК', url: broker.url, topicPrefix: 'opengkh', protocolVersion: 5, batch: { maxEntries: 32, maxBytes: 262144, window: 4 } }, db, log: evidenceSyncLog(log, db, gatewayId), pollMs: 100, ackTimeoutMs: 5000 });
    worker.on('problem', () => undefined);
    worker.start();
    const t0 = Date.now();
    while (getCursor(db, 'uk').ackedSize < log.size) {
      if (Date.now() - t0 > 90_000) throw new Error(`cursor at ${getCursor(db, 'uk').ackedSize} of ${log.size}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    // Both instances stored part of the log.
    for (const r of rxs) expect(r.lines.some((l) => / stored gw-s \[/.test(l))).toBe(true);
    const rdb = openDb(join(root, 'rx/data/gateways/gw-s.db'), { readonly: true });
    const rows = rdb.prepare('SELECT idx, entry FROM log_entries ORDER BY idx').all() as { idx: number; entry: Buffer }[];
    rdb.close();
    expect(rows.map((r) => r.idx)).toEqual(Array.from({ length: log.size }, (_, i) => i));
    expect(rows.map((r) => r.entry)).toEqual(log.entriesRange(0, log.size));
    const out = execFileSync(process.execPath, [join(repoRoot(), 'bin/opengkh.js'), 'receiver', 'verify', '--config', cfg], { encoding: 'utf8' });
    expect(out).toMatch(new RegExp(`ok {3}gw-s: ${log.size} entries, \\d+ checkpoints verified`));
    db.close();
  });
});
