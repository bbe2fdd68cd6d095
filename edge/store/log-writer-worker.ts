/**
 * The thread behind `LogWriter` (log-writer.ts): owns its own connection to the gateway database
 * and an `EvidenceLog` over it. For each batch it receives (canonical entry bytes and their leaf
 * hashes, computed by the caller's thread, in two transferred buffers) it stores the entries,
 * extends the tree and stores one signed checkpoint in a single IMMEDIATE transaction (WAL,
 * synchronous=FULL), and answers with the new size and the checkpoint. A batch is answered only
 * after its commit: what the caller was told is on disk.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import type { GkhError } from '../errors.js';
import { HASH_SIZE } from '../log/hash.js';
import { openDb } from './db.js';
import { EvidenceLog } from './evidence.js';
import type { WriterBatch, WriterInit, WriterReply } from './log-writer.js';

const port = parentPort;
if (!port) throw new Error('log-writer-worker runs as a worker thread only');

const init = workerData as WriterInit;

function reply(m: WriterReply): void {
  port!.postMessage(m);
}

function errorReply(id: number, e: unknown): WriterReply {
  const err = e as Partial<GkhError> & Error;
  return { id, error: { code: typeof err.code === 'string' ? err.code : 'LOG_STATE', message: err.message ?? String(e), context: (err.context as Record<string, unknown>) ?? {} } };
}

let log: EvidenceLog;
let db: ReturnType<typeof openDb>;
try {
  db = openDb(init.file);
  log = EvidenceLog.open(db, { gatewayId: init.gatewayId, privateKey: init.privateKey as KeyObject, previousVkeys: init.previousVkeys, trustLeafHashes: init.trustLeafHashes });
  reply({ id: 0, ready: { size: log.size, root: log.root().toString('hex') } });
} catch (e) {
  reply(errorReply(0, e));
  process.exit(0);
}

port.on('message', (m: WriterBatch | { id: number; close: true }) => {
  if ('close' in m) {
    db.close();
    reply({ id: m.id, closed: true });
    port.close();
    return;
  }
  try {
    const buf = Buffer.from(m.buffer);
    const leaves = Buffer.from(m.leaves);
    const n = m.offsets.length - 1;
    const bytes: Buffer[] = new Array<Buffer>(n);
    const hashes: Buffer[] = new Array<Buffer>(n);
    for (let i = 0; i < n; i++) {
      bytes[i] = buf.subarray(m.offsets[i]!, m.offsets[i + 1]!);
      hashes[i] = leaves.subarray(HASH_SIZE * i, HASH_SIZE * (i + 1));
    }
    let first = 0;
    const cp = db
      .transaction(() => {
        first = log.size;
        log.appendLeaves(bytes, hashes);
        return log.checkpoint();
      })
      .immediate();
    reply({ id: m.id, done: { first, size: cp.size, root: cp.root.toString('hex'), note: cp.note, createdAt: cp.createdAt } });
  } catch (e) {
    reply(errorReply(m.id, e));
  }
});
