/** Receiver checks in-process (no broker): every rejection names its reason and stores nothing. */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { rawPublicKey } from '../edge/keys/keys.js';
import { verifyReceipt } from '../edge/sync/cosign.js';
import { MemoryLog, hourlyBody } from '../edge/sync/fixtures.js';
import { encode, type BatchPayload } from '../edge/sync/protocol.js';
import { validateReceiverConfig } from './config.js';
import { Receiver } from './receiver.js';
import { listRejections } from './store.js';
import { verifyStore } from './verify.js';

const root = mkdtempSync(join(tmpdir(), 'gkh-rx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const gw = new MemoryLog('gw-1');
for (let h = 0; h < 10; h++) gw.append('hourly', hourlyBody(1, h));
gw.checkpoint(); // 10
for (let h = 10; h < 15; h++) gw.append('hourly', hourlyBody(1, h));
gw.checkpoint(); // 15
for (let h = 15; h < 20; h++) gw.append('hourly', hourlyBody(1, h));
gw.checkpoint(); // 20

let n = 0;
function newReceiver(): Receiver {
  const dataDir = join(root, `rx${n++}`);
  const cfg = validateReceiverConfig({ receiverId: 'uk', dataDir, broker: { url: 'mqtt://127.0.0.1:1' }, gateways: [{ id: 'gw-1', vkey: gw.vkey }] });
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return new Receiver(cfg, { privateKey, publicRaw: rawPublicKey(publicKey) });
}
const T = 'opengkh/gw/gw-1/batch';
const send = (rx: Receiver, b: BatchPayload, t = T) => rx.handle(t, encode(b));
const rows = (rx: Receiver) => rx.gatewayDb('gw-1').prepare('SELECT COUNT(*) AS n FROM log_entries').get() as { n: number };

let rx: Receiver;
beforeEach(() => {
  rx = newReceiver();
  return () => rx.close();
});

function expectRejected(r: ReturnType<Receiver['handle']>, code: string, heldBefore: number) {
  expect(r.status).toBe('rejected');
  expect(r.ack?.code).toBe(code);
  expect(r.line).toContain(code);
  expect(rows(rx).n).toBe(heldBefore);
  const last = listRejections(rx.rdb, 1)[0]!;
  expect(last.code).toBe(code);
  expect(last.reason.length).toBeGreaterThan(10);
}

describe('receiver checks', () => {
  it('stores a batch and acks its size with a cosignature over the checkpoint', () => {
    const r = send(rx, gw.batch(0, 10));
    expect(r.status).toBe('stored');
    expect(r.ack).toMatchObject({ status: 'stored', size: 10, gw: 'gw-1', dest: 'uk', seq: 1 });
    expect(r.ackTopic).toBe('opengkh/gw/gw-1/ack');
    const { timestamp } = verifyReceipt(r.ack!.vkey, gw.checkpoints.get(10)!.note, r.ack!.cosignature!);
    expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
    expect(send(rx, gw.batch(10, 15, 2)).ack?.size).toBe(15);
    const stored = rx.gatewayDb('gw-1').prepare('SELECT entry FROM log_entries ORDER BY idx').all() as { entry: Buffer }[];
    expect(stored.map((s) => s.entry.toString('utf8'))).toEqual(gw.entries.slice(0, 15));
    expect(verifyStore(rx.cfg)).toEqual([{ gateway: 'gw-1', entries: 15, checkpoints: 2, ok: true }]);
  });

  it('answers a gap with its real size and a replay as duplicate, storing nothing', () => {
    send(rx, gw.batch(0, 10));
    const gap = send(rx, gw.batch(15, 20, 3));
    expect(gap.ack).toMatchObject({ status: 'gap', size: 10 });
    expect(listRejections(rx.rdb, 1)[0]).toMatchObject({ status: 'gap', code: 'SYNC_GAP', storedSize: 10 });
    const replay = send(rx, gw.batch(0, 10, 4));
    expect(replay.ack).toMatchObject({ status: 'duplicate', size: 10 });
    expect(listRejections(rx.rdb, 1)[0]).toMatchObject({ status: 'duplicate', code: 'SYNC_DUPLICATE' });
    expect(rows(rx).n).toBe(10);
  });

  it('stores only the new part of an overlapping batch', () => {
    send(rx, gw.batch(0, 10));
    const over = gw.batch(0, 15);
    expect(send(rx, over).ack).toMatchObject({ status: 'stored', size: 15 });
    expect(rows(rx).n).toBe(15);
  });

  it('rejects a tampered entry (root mismatch)', () => {
    send(rx, gw.batch(0, 10));
    const b = gw.batch(10, 15);
    b.entries[2] = b.entries[2]!.replace('"Gcal","value":0.1', '"Gcal","value":0.2');
    expect(b.entries[2]).not.toBe(gw.entries[12]);
    expectRejected(send(rx, b), 'SYNC_ROOT_MISMATCH', 10);
  });

  it('rejects an entry that is not canonical JSON', () => {
    const b = gw.batch(0, 10);
    b.entries[0] = ` ${b.entries[0]}`;
    expectRejected(send(rx, b), 'SYNC_ENTRY', 0);
  });

  it('rejects a forged checkpoint signature', () => {
    const b = gw.batch(0, 10);
    // One bit flipped in the signature bytes (after the 4-byte key id).
    const cp = b.checkpoints[0]!;
    b.checkpoints = [{ ...cp, note: cp.note.replace(/— (\S+) (\S+)\n$/, (_m, name: string, sig: string) => `— ${name} ${Buffer.from(Buffer.from(sig, 'base64').map((x, i) => (i === 10 ? x ^ 1 : x))).toString('base64')}\n`) }];
    expectRejected(send(rx, b), 'SYNC_SIGNATURE', 0);
  });

  it('rejects a checkpoint signed by another key under the gateway name', () => {
    const other = new MemoryLog('gw-1');
    for (let h = 0; h < 10; h++) other.append('hourly', hourlyBody(1, h));
    other.checkpoint();
    expectRejected(send(rx, other.batch(0, 10)), 'SYNC_SIGNATURE', 0);
  });

  it('rejects a checkpoint that would shrink the log', () => {
    send(rx, gw.batch(0, 15));
    const b = { ...gw.batch(15, 20), checkpoints: [gw.checkpoints.get(10)!] };
    expectRejected(send(rx, b), 'SYNC_CHECKPOINT_SHRINK', 15);
  });

  it('rejects a batch from a gateway not in the registry, without creating its database', () => {
    const stranger = new MemoryLog('gw-9');
    stranger.append('hourly', hourlyBody(1, 0));
    stranger.checkpoint();
    const r = send(rx, stranger.batch(0, 1), 'opengkh/gw/gw-9/batch');
    expect(r.status).toBe('rejected');
    expect(r.ack).toMatchObject({ code: 'SYNC_UNKNOWN_GATEWAY', size: 0, cosignature: null });
    expect(listRejections(rx.rdb, 1)[0]).toMatchObject({ gateway: 'gw-9', code: 'SYNC_UNKNOWN_GATEWAY' });
    expect(verifyStore(rx.cfg)).toEqual([]);
  });

  it('rejects a fork: different entries for indexes already held', () => {
    send(rx, gw.batch(0, 15));
    const b = gw.batch(10, 20);
    b.entries[0] = gw.entries[11]!;
    expectRejected(send(rx, b), 'SYNC_FORK', 15);
  });

  it('logs a payload that is not a batch at all and cannot be answered', () => {
    const r = rx.handle(T, Buffer.from('{"v":1,"kind":"batch"}'));
    expect(r.status).toBe('unanswerable');
    expect(listRejections(rx.rdb, 1)[0]).toMatchObject({ code: 'SYNC_PAYLOAD' });
  });
});

describe('receiver config', () => {
  it('accepts the example and names the JSON path of a mistake', async () => {
    const { loadReceiverConfig } = await import('./config.js');
    const cfg = loadReceiverConfig(new URL('./examples/receiver-uk.json', import.meta.url).pathname);
    expect(cfg.broker.shareGroup).toBe('receivers');
    expect(cfg.gateways[0]!.id).toBe('ekb-lenina-12');
    expect(() => validateReceiverConfig({ receiverId: 'x', dataDir: 'd', broker: { url: 'http://x' }, gateways: [] })).toThrow(/\/broker\/url: expected must match pattern/);
    const wrongId = cfg.gateways[0]!.vkey.replace('+e22f29a4+', '+00000000+');
    expect(() => validateReceiverConfig({ receiverId: 'x', dataDir: 'd', broker: { url: 'mqtt://x' }, gateways: [{ id: 'g', vkey: wrongId }] })).toThrow(/\/gateways\/0\/vkey: .*does not match its name and key/);
    expect(() => validateReceiverConfig({ receiverId: 'x', dataDir: 'd', broker: { url: 'mqtt://x' }, gateways: [], peers: [{ vkey: cfg.gateways[0]!.vkey }] })).toThrow(/\/peers\/0\/vkey: expected a receiver cosigner key/);
    expect(() => validateReceiverConfig({ receiverId: 'x', dataDir: 'd', broker: { url: 'mqtt://x' }, gateways: [], gatways: [] })).toThrow(/\/gatways: expected a known key \(did you mean "gateways"\?\)/);
  });
});

describe('receiver verify', () => {
  it('names the first bad index when a stored entry was changed behind its back', () => {
    const r = newReceiver();
    try {
      expect(send(r, gw.batch(0, 15)).status).toBe('stored');
      const db = r.gatewayDb('gw-1');
      // Someone with write access to the file bypasses the append-only trigger.
      db.exec('DROP TRIGGER log_entries_no_update');
      const e = (db.prepare('SELECT entry FROM log_entries WHERE idx = 7').get() as { entry: Buffer }).entry;
      db.prepare('UPDATE log_entries SET entry = ? WHERE idx = 7').run(Buffer.from(e.toString('utf8').replace('"system":1', '"system":2')));
      const [v] = verifyStore(r.cfg);
      expect(v).toMatchObject({ gateway: 'gw-1', ok: false, badIndex: 7 });
      expect(v!.problem).toMatch(/entry 7: stored leaf hash [0-9a-f]{64}, entry hashes to [0-9a-f]{64}/);
    } finally {
      r.close();
    }
  });

  it('names a checkpoint whose signature no longer verifies', () => {
    const r = newReceiver();
    try {
      send(r, gw.batch(0, 10));
      const db = r.gatewayDb('gw-1');
      db.exec('DROP TRIGGER checkpoints_no_update');
      db.prepare('UPDATE checkpoints SET note = ? WHERE size = 10').run(gw.checkpoints.get(10)!.note.replace(/ (\S)(\S+)\n$/, (_m, a: string, b: string) => ` ${a === 'A' ? 'B' : 'A'}${b}\n`));
      const [v] = verifyStore(r.cfg);
      expect(v).toMatchObject({ ok: false });
      expect(v!.problem).toMatch(/^checkpoint 10: /);
    } finally {
      r.close();
    }
  });
});

describe('group commit', () => {
  it('stores several batches in one transaction and keeps a bad one out', () => {
    const r = newReceiver();
    try {
      const bad = gw.batch(10, 15, 2);
      bad.entries[1] = bad.entries[1]!.replace('"system":1', '"system":3');
      const res = r.handleMany([
        { topic: T, payload: encode(gw.batch(0, 10, 1)) },
        { topic: T, payload: encode(bad) },
        { topic: T, payload: encode(gw.batch(10, 15, 3)) },
        { topic: T, payload: encode(gw.batch(15, 20, 4)) },
      ]);
      expect(res.map((x) => x.status)).toEqual(['stored', 'rejected', 'stored', 'stored']);
      expect(res[1]!.ack?.code).toBe('SYNC_ROOT_MISMATCH');
      expect(res[3]!.ack?.size).toBe(20);
      expect(verifyStore(r.cfg)).toEqual([{ gateway: 'gw-1', entries: 20, checkpoints: 3, ok: true }]);
      expect(listRejections(r.rdb, 1)[0]).toMatchObject({ seq: 2, code: 'SYNC_ROOT_MISMATCH' });
    } finally {
      r.close();
    }
  });
});
