/**
 * The worker's cursor moves only on a verified application ack: never on the broker's PUBACK, never
 * on an ack with a bad cosignature, another key than the pinned one, or a size beyond the log.
 * One real mosquitto; the "receiver" here is a test client that answers as told.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GkhError } from '../errors.js';
import { rawPublicKey } from '../keys/keys.js';
import { makeEntry } from '../log/entry.js';
import { getCursor } from '../store/cursors.js';
import { openDb, type Db } from '../store/db.js';
import { EvidenceLog } from '../store/evidence.js';
import { startBroker, type Broker } from './broker.js';
import { cosignCheckpoint, cosignerVkey } from './cosign.js';
import { hourlyBody } from './fixtures.js';
import { evidenceSyncLog } from './log-source.js';
import { PROTOCOL_VERSION, decodeBatch, encode, type AckPayload, type BatchPayload } from './protocol.js';
import { SyncWorker } from './worker.js';

const root = mkdtempSync(join(tmpdir(), 'gkh-worker-'));
let broker: Broker;
let peer: mqtt.MqttClient;
const batches: BatchPayload[] = [];
const rxKey = generateKeyPairSync('ed25519');
const rxVkey = cosignerVkey('uk-test', rawPublicKey(rxKey.publicKey));
const other = generateKeyPairSync('ed25519');

beforeAll(async () => {
  broker = await startBroker(join(root, 'broker'));
  peer = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  peer.on('message', (_t, p) => batches.push(decodeBatch(p)));
  await peer.subscribeAsync('opengkh/gw/+/batch', { qos: 1 });
});
afterAll(async () => {
  await peer?.endAsync();
  await broker?.stop();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function setup(rejectBackoffMs = 60_000): { db: Db; log: EvidenceLog; worker: SyncWorker; problems: GkhError[]; gw: string } {
  const gw = `gw-w${n++}`;
  const db = openDb(join(root, `${gw}.db`));
  const log = EvidenceLog.open(db, { gatewayId: gw, privateKey: generateKeyPairSync('ed25519').privateKey });
  for (let h = 0; h < 4; h++) {
    log.append(Array.from({ length: 8 }, (_, m) => makeEntry('hourly', gw, hourlyBody(m, h))));
    log.checkpoint();
  }
  const worker = new SyncWorker({ gatewayId: gw, destination: { id: 'uk', role: 'УК', url: broker.url, topicPrefix: 'opengkh', protocolVersion: 5, batch: { maxEntries: 16, maxBytes: 262144, window: 2 } }, db, log: evidenceSyncLog(log, db, gw), pollMs: 100, rejectBackoffMs });
  const problems: GkhError[] = [];
  worker.on('problem', (e: GkhError) => problems.push(e));
  return { db, log, worker, problems, gw };
}
async function until(cond: () => boolean, what: string, ms = 20_000) {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const ack = (b: BatchPayload, over: Partial<AckPayload> & { note?: string }): AckPayload => {
  const { note: otherNote, ...rest } = over;
  const size = over.size ?? b.from + b.entries.length;
  const note = otherNote ?? b.checkpoints.find((c) => c.size === size)?.note ?? b.checkpoints.at(-1)!.note;
  return { v: PROTOCOL_VERSION, kind: 'ack', gw: b.gw, dest: b.dest, seq: b.seq, status: 'stored', size, cosignature: cosignCheckpoint(rxKey.privateKey, 'uk-test', note), vkey: rxVkey, ...rest };
};
const answer = (a: AckPayload) => peer.publishAsync(`opengkh/gw/${a.gw}/ack`, encode(a), { qos: 1 });

describe('sync worker cursor', () => {
  it('does not move on PUBACK: with nobody acking, the window fills and the cursor stays', async () => {
    const { db, worker, gw } = setup();
    worker.start();
    await until(() => batches.filter((b) => b.gw === gw).length >= 2, 'two batches published');
    await new Promise((r) => setTimeout(r, 500));
    expect(batches.filter((b) => b.gw === gw)).toHaveLength(2); // the window (2) is full
    expect(worker.status().inFlight).toBe(2);
    expect(getCursor(db, 'uk').ackedSize).toBe(0);
    await worker.stop();
  });

  it('moves on a verified ack, pins the receiver key, and ignores forged, foreign and oversized acks', async () => {
    const { db, log, worker, problems, gw } = setup(300);
    worker.start();
    await until(() => batches.some((b) => b.gw === gw), 'a batch');
    const b1 = batches.find((b) => b.gw === gw)!;
    // A cosignature over another checkpoint text: does not verify.
    await answer(ack(b1, { note: log.checkpointAt(8)!.note === b1.checkpoints.at(-1)!.note ? log.checkpointAt(24)!.note : log.checkpointAt(8)!.note }));
    await until(() => problems.some((p) => p.code === 'SYNC_COSIGNATURE'), 'SYNC_COSIGNATURE');
    expect(getCursor(db, 'uk').ackedSize).toBe(0);
    // …and the window starts again from the cursor after the pause: the same batch comes again.
    await until(() => batches.filter((b) => b.gw === gw && b.from === b1.from).length >= 2, 'resent after the pause');
    // A size beyond the log.
    await answer(ack(b1, { size: 999, cosignature: null }));
    await until(() => problems.some((p) => p.code === 'SYNC_ACK'), 'SYNC_ACK');
    expect(getCursor(db, 'uk').ackedSize).toBe(0);
    // The real thing.
    await answer(ack(b1, {}));
    await until(() => getCursor(db, 'uk').ackedSize === b1.from + b1.entries.length, 'cursor moved');
    expect(getCursor(db, 'uk').cosignature).toMatch(/^— uk-test /);
    // Another key afterwards: ignored (the first verified key is pinned).
    await until(() => batches.some((b) => b.gw === gw && b.from === b1.from + b1.entries.length), 'second batch');
    const b2 = batches.find((b) => b.gw === gw && b.from === b1.from + b1.entries.length)!;
    const forged: AckPayload = { ...ack(b2, {}), vkey: cosignerVkey('uk-test', rawPublicKey(other.publicKey)), cosignature: cosignCheckpoint(other.privateKey, 'uk-test', b2.checkpoints.at(-1)!.note) };
    await answer(forged);
    await until(() => problems.some((p) => p.code === 'SYNC_VKEY'), 'SYNC_VKEY');
    expect(getCursor(db, 'uk').ackedSize).toBe(b1.from + b1.entries.length);
    await worker.stop();
  });

  it('pauses after a rejection instead of hammering the receiver', async () => {
    const { db, worker, problems, gw } = setup();
    worker.start();
    await until(() => batches.some((b) => b.gw === gw), 'a batch');
    const b1 = batches.find((b) => b.gw === gw)!;
    await answer({ ...ack(b1, {}), status: 'rejected', size: 0, cosignature: null, code: 'SYNC_ROOT_MISMATCH', reason: 'test' });
    await until(() => problems.some((p) => p.code === 'SYNC_REJECTED'), 'SYNC_REJECTED');
    const sent = batches.filter((b) => b.gw === gw).length;
    await new Promise((r) => setTimeout(r, 800));
    expect(batches.filter((b) => b.gw === gw).length).toBe(sent);
    expect(getCursor(db, 'uk').ackedSize).toBe(0);
    await worker.stop();
  });
});
