/**
 * Child process of the evidence-log kill -9 test (evidence.crash.test.ts): in a loop, one
 * transaction stores a reading and its hourly log entry, then a checkpoint is signed; after each
 * checkpoint returns it prints `committed <size> <root hex>`.
 * Usage: node evidence-crash-child.js <db> <keyFile>
 */
import { loadKeyFile } from '../keys/index.js';
import { hourlyEntry } from '../log/index.js';
import { EvidenceLog } from './evidence.js';
import { openDb } from './db.js';
import { insertReading } from './readings.js';

const [file, keyFile] = process.argv.slice(2);
const db = openDb(file!);
const log = EvidenceLog.open(db, { gatewayId: 'crash-gw', privateKey: loadKeyFile(keyFile!).privateKey });
for (let h = log.size; ; h++) {
  const r = { meterId: 'm1', system: 1, hourStart: 1767225600 + h * 3600, source: 'archive' as const, values: { Q: { value: Number(`${h}e-4`), unit: 'Gcal' } }, flags: [], rawFrames: ['68 03 03 68 08 01 72 7b 16'], readAt: Date.now() };
  db.transaction(() => {
    insertReading(db, r);
    log.append([hourlyEntry('crash-gw', r, 'Europe/Moscow')]);
  })();
  const cp = log.checkpoint();
  process.stdout.write(`committed ${cp.size} ${cp.root.toString('hex')}\n`);
}
