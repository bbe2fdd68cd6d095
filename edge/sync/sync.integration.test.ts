/**
 * Dual sync end to end with real components: two mosquitto brokers on loopback, the real receiver
 * (`opengkh receiver --config …`) as child processes, and the gateway's sync workers against a log with
 * entries. Build first: `npx tsc -p .`.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DestinationConfig } from '../config/types.js';
import { makeEntry } from '../log/entry.js';
import { openDb, type Db } from '../store/db.js';
import { EvidenceLog } from '../store/evidence.js';
import { getCursor } from '../store/cursors.js';
import { startBroker, type Broker } from './broker.js';
import { MemoryLog, hourlyBody } from './fixtures.js';
import { evidenceSyncLog } from './log-source.js';
import type { SyncLog } from './types.js';
import { repoRoot, spawnReceiver, writeReceiverConfig, type ReceiverProc } from './harness.js';
import { decodeAck, decodeBatch, decodeState, encode, type AckPayload, type BatchPayload } from './protocol.js';
import { SyncWorker } from './worker.js';

const root = mkdtempSync(join(tmpdir(), 'gkh-sync-'));
const bin = join(repoRoot(), 'bin/opengkh.js');
/** A gateway: its database, evidence log (the real store) and the workers' view of it. */
interface Gateway {
  gatewayId: string;
  db: Db;
  log: EvidenceLog;
  slog: SyncLog;
  vkey: string;
}
function gateway(gatewayId: string): Gateway {
  const db = openDb(join(root, `${gatewayId}-gateway.db`));
  const log = EvidenceLog.open(db, { gatewayId, privateKey: generateKeyPairSync('ed25519').privateKey });
  return { gatewayId, db, log, slog: evidenceSyncLog(log, db, gatewayId), vkey: log.vkey };
}
const gws = { 'gw-a': gateway('gw-a'), 'gw-b': gateway('gw-b'), 'gw-c': gateway('gw-c') };
/** Crafted batches for the rejection tests come from an in-memory log with a registered key. */
const forged = new MemoryLog('gw-x');

let brokerA: Broker;
let brokerB: Broker;
let uk: ReceiverProc;
let rso: ReceiverProc;
const workers: SyncWorker[] = [];

function vkeyOf(config: string): string {
  return execFileSync(process.execPath, [bin, 'receiver', 'vkey', '--config', config], { encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  brokerA = await startBroker(join(root, 'broker-a'));
  brokerB = await startBroker(join(root, 'broker-b'));
  const gateways = [...Object.values(gws).map((g) => ({ id: g.gatewayId, vkey: g.vkey })), { id: 'gw-x', vkey: forged.vkey }];
  const ukCfg = writeReceiverConfig(join(root, 'uk'), { receiverId: 'uk', url: brokerA.url, gateways });
  const rsoCfg = writeReceiverConfig(join(root, 'rso'), { receiverId: 'rso', url: brokerB.url, gateways, protocolVersion: 4 });
  // Each party knows the other's cosigner key, so forwarded receipts verify.
  const ukKey = vkeyOf(ukCfg);
  const rsoKey = vkeyOf(rsoCfg);
  writeReceiverConfig(join(root, 'uk'), { receiverId: 'uk', url: brokerA.url, gateways, peers: [{ vkey: rsoKey }] });
  writeReceiverConfig(join(root, 'rso'), { receiverId: 'rso', url: brokerB.url, gateways, protocolVersion: 4, peers: [{ vkey: ukKey }] });
  [uk, rso] = await Promise.all([spawnReceiver(join(root, 'uk'), ukCfg), spawnReceiver(join(root, 'rso'), rsoCfg)]);
}, 60_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  Object.values(gws).forEach((g) => g.db.close());
  await Promise.all([uk?.stop(), rso?.stop()]);
  await Promise.all([brokerA?.stop(), brokerB?.stop()]);
  rmSync(root, { recursive: true, force: true });
}, 60_000);

/** Appends `hours` hours of `meters` meters, a checkpoint after each hour (as the poller does), and an event per day. */
function fill(g: Gateway, fromHour: number, hours: number, meters: number): void {
  for (let h = fromHour; h < fromHour + hours; h++) {
    const at = Date.UTC(2026, 9, 1) + h * 3600_000 + 3605_000;
    g.db.transaction(() => {
      const es: object[] = Array.from({ length: meters }, (_, m) => makeEntry('hourly', g.gatewayId, hourlyBody(m, h), at));
      if (h % 24 === 0) es.push(makeEntry('comm.restored', g.gatewayId, { meterId: 'm00', downSince: new Date(at - 7200_000).toISOString() }, at));
      g.log.append(es);
      g.log.checkpoint();
    })();
  }
}
const allEntries = (g: Gateway) => g.log.entriesRange(0, g.log.size).map((b) => b.toString('utf8'));

function dest(id: string, role: string, url: string, protocolVersion: 4 | 5, batch = { maxEntries: 64, maxBytes: 262144, window: 4 }): DestinationConfig {
  return { id, role, url, topicPrefix: 'opengkh', protocolVersion, batch };
}

function startWorkers(gw: Gateway, batch?: DestinationConfig['batch']) {
  const { db, slog } = gw;
  const mk = (d: DestinationConfig) => {
    const w = new SyncWorker({ gatewayId: gw.gatewayId, destination: d, db, log: slog, pollMs: 200, ackTimeoutMs: 5000, receiptIntervalMs: 60_000 });
    w.on('problem', () => undefined);
    workers.push(w);
    w.start();
    return w;
  };
  return { db, slog, ukW: mk(dest('uk', 'УК', brokerA.url, 5, batch)), rsoW: mk(dest('rso', 'РСО', brokerB.url, 4, batch)) };
}

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Rows of a receiver's copy of a gateway's log. */
function held(rx: ReceiverProc, gw: string) {
  const db = openDb(join(rx.dir, 'data/gateways', `${gw}.db`), { readonly: true });
  try {
    return {
      entries: db.prepare('SELECT idx, entry, leaf_hash FROM log_entries ORDER BY idx').all() as { idx: number; entry: Buffer; leaf_hash: Buffer }[],
      checkpoints: db.prepare('SELECT size, root, note, created_at FROM checkpoints ORDER BY size').all() as { size: number; root: Buffer; note: string; created_at: number }[],
    };
  } finally {
    db.close();
  }
}

/** Both cursors at the end of the log and nothing more to send (receipts included). */
async function settled(db: Db, slog: SyncLog, timeoutMs = 60_000): Promise<void> {
  await until(() => {
    const n = slog.checkpointedSize();
    return getCursor(db, 'uk').ackedSize === n && getCursor(db, 'rso').ackedSize === n;
  }, 'both cursors at the end of the log', timeoutMs);
  // A receipt appended by the last ack travels on: wait until that too is acknowledged.
  await new Promise((r) => setTimeout(r, 600));
  await until(() => {
    const n = slog.checkpointedSize();
    return getCursor(db, 'uk').ackedSize === n && getCursor(db, 'rso').ackedSize === n;
  }, 'receipts delivered', timeoutMs);
}

describe('dual sync through mosquitto to two real receivers', () => {
  it('delivers byte-identical entries and checkpoints to both, with each party\'s receipt forwarded', { timeout: 120_000 }, async () => {
    const gw = gws['gw-a'];
    fill(gw, 0, 48, 12);
    // The gateway's retained state at the УК broker: online while connected, offline by last will.
    const watcher = await mqtt.connectAsync(brokerA.url, { protocolVersion: 4 });
    const states: { state: string; retain: boolean }[] = [];
    watcher.on('message', (_t, p, packet) => states.push({ state: decodeState(p).state, retain: packet.retain }));
    await watcher.subscribeAsync('opengkh/gw/gw-a/state', { qos: 1 });
    const { db, slog, ukW, rsoW } = startWorkers(gw);
    // Limits: entries and bytes per batch, and the window of unacknowledged batches.
    const limits = { maxEntries: 0, maxBytes: 0, maxInFlight: 0 };
    ukW.on('batch', (p: Buffer) => {
      limits.maxEntries = Math.max(limits.maxEntries, decodeBatch(p).entries.length);
      limits.maxBytes = Math.max(limits.maxBytes, p.length);
      // Emitted after the batch joined the window.
      limits.maxInFlight = Math.max(limits.maxInFlight, ukW.status().inFlight);
    });
    await settled(db, slog);
    expect(limits.maxEntries).toBeLessThanOrEqual(64);
    expect(limits.maxBytes).toBeLessThanOrEqual(262144);
    expect(limits.maxInFlight).toBeLessThanOrEqual(4);
    expect(ukW.status().batchesSent).toBeGreaterThanOrEqual(Math.ceil(gw.log.size / 64));
    // Cut the connection under the worker (no DISCONNECT): the broker publishes the last will.
    (ukW as unknown as { client: mqtt.MqttClient }).client.stream.destroy();
    await until(() => states.filter((s) => s.state === 'online').length >= 2, 'will, then online again after the reconnect', 30_000);
    expect(states.map((s) => s.state)).toEqual(['online', 'offline', 'online']);
    await Promise.all([ukW.stop(), rsoW.stop()]);
    await until(() => states.length >= 4, 'offline on clean stop');
    expect(states[3]!.state).toBe('offline');
    // A newcomer gets the last state retained.
    await watcher.endAsync();
    const late = await mqtt.connectAsync(brokerA.url);
    const got = new Promise<{ state: string; retain: boolean }>((res) => late.on('message', (_t, p, packet) => res({ state: decodeState(p).state, retain: packet.retain })));
    await late.subscribeAsync('opengkh/gw/gw-a/state', { qos: 1 });
    expect(await got).toEqual({ state: 'offline', retain: true });
    await late.endAsync();
    const a = held(uk, 'gw-a');
    const b = held(rso, 'gw-a');
    expect(a.entries.length).toBe(gw.log.size);
    expect(a.entries.map((r) => r.entry.toString('utf8'))).toEqual(allEntries(gw));
    expect(b.entries).toEqual(a.entries);
    expect(b.checkpoints).toEqual(a.checkpoints);
    expect(a.checkpoints.map((c) => c.note)).toEqual(slog.checkpointsIn(0, gw.log.size).map((c) => c.note));
    // Receipts: each destination's cosignature is in the gateway's log, and each side shows the other's.
    const receipts = allEntries(gw).filter((e) => e.includes('"type":"cosignature"'));
    expect(receipts.length).toBeGreaterThanOrEqual(2);
    const status = JSON.parse(execFileSync(process.execPath, [bin, 'receiver', 'status', '--config', uk.config, '--json'], { encoding: 'utf8' })) as {
      gateways: { gateway: string; receipts: { destination: string; size: number; verified: boolean; confirmedAt: string }[] }[];
    };
    const r = status.gateways.find((g) => g.gateway === 'gw-a')!.receipts.find((x) => x.destination === 'rso')!;
    expect(r.verified).toBe(true);
    expect(r.size).toBeGreaterThanOrEqual(48 * 12);
    expect(Date.parse(r.confirmedAt)).toBeGreaterThan(Date.now() - 120_000);
    const text = execFileSync(process.execPath, [bin, 'receiver', 'status', '--config', rso.config], { encoding: 'utf8' });
    expect(text).toMatch(/uk \(uk\) confirmed up to entry \d+ at 20\d\d-/);
    // Export per meter and period, CSV and JSON, from the receiver's copy.
    const csv = execFileSync(process.execPath, [bin, 'receiver', 'export', '--config', rso.config, '--format', 'csv', '--meter', 'm03', '--from', '2026-10-01T10:00:00Z', '--to', '2026-10-01T20:00:00Z'], { encoding: 'utf8' }).trim().split('\n');
    expect(csv).toHaveLength(11);
    expect(csv[0]).toMatch(/^gateway,logIndex,meterId,system,hourStart,tz,Q,Q_unit,/);
    const q = hourlyBody(3, 10).values.Q.value;
    expect(csv[1]).toContain(`gw-a,`);
    expect(csv[1]).toContain(`,m03,1,2026-10-01T10:00:00.000Z,Asia/Yekaterinburg,${q},Gcal,`);
    const json = JSON.parse(execFileSync(process.execPath, [bin, 'receiver', 'export', '--config', uk.config, '--format', 'json', '--gateway', 'gw-a', '--meter', 'm03'], { encoding: 'utf8' })) as { hourStart: string; values: { Q: { value: number } } }[];
    expect(json).toHaveLength(48);
    expect(json[10]!.values.Q.value).toBe(q);
    for (const rx of [uk, rso]) expect(execFileSync(process.execPath, [bin, 'receiver', 'verify', '--config', rx.config], { encoding: 'utf8' })).toMatch(/ok {3}gw-a: \d+ entries/);
  });

  it('keeps one destination at pace while the other broker is down, then catches up with no gap or duplicate', { timeout: 120_000 }, async () => {
    const gw = gws['gw-b'];
    fill(gw, 0, 96, 16);
    const { db, slog, ukW, rsoW } = startWorkers(gw, { maxEntries: 40, maxBytes: 262144, window: 2 });
    const T0 = Date.now();
    const ph = (x: string) => process.env.SYNC_TRACE && console.log(`${Date.now() - T0} ms ${x}`);
    rsoW.on('problem', (e: Error) => ph(`rso problem ${e.message}`));
    rsoW.on('connect', () => ph('rso connect'));
    await new Promise<void>((res) => rsoW.once('ack', () => res()));
    ph('first ack');
    await brokerB.stop();
    ph('B stopped');
    const atStop = getCursor(db, 'rso').ackedSize;
    // More data arrives during the outage; the other destination takes it all.
    fill(gw, 96, 24, 16);
    ukW.notify();
    await until(() => getCursor(db, 'uk').ackedSize >= 120 * 16, 'uk drained while rso broker is down');
    expect(brokerB.running()).toBe(false);
    expect(getCursor(db, 'rso').ackedSize).toBe(atStop);
    expect(atStop).toBeLessThan(slog.checkpointedSize());
    ph('uk drained');
    await new Promise((r) => setTimeout(r, 1500));
    await brokerB.start();
    ph('B started');
    await settled(db, slog);
    ph('settled');
    await Promise.all([ukW.stop(), rsoW.stop()]);
    const a = held(uk, 'gw-b');
    const b = held(rso, 'gw-b');
    expect(b.entries.map((r) => r.idx)).toEqual(Array.from({ length: gw.log.size }, (_, i) => i));
    expect(b.entries.map((r) => r.entry.toString('utf8'))).toEqual(allEntries(gw));
    expect(b.entries).toEqual(a.entries);
    expect(b.checkpoints).toEqual(a.checkpoints);
  });

  it('a receiver restarted with data on disk resumes from its size', { timeout: 120_000 }, async () => {
    const gw = gws['gw-c'];
    fill(gw, 0, 24, 16);
    const { db, slog, ukW, rsoW } = startWorkers(gw, { maxEntries: 40, maxBytes: 262144, window: 2 });
    await settled(db, slog);
    await rso.stop();
    const before = held(rso, 'gw-c').entries.length;
    expect(before).toBe(slog.checkpointedSize());
    fill(gw, 24, 24, 16);
    ukW.notify();
    rsoW.notify();
    await new Promise((r) => setTimeout(r, 500));
    const mark = rso.lines.length;
    await rso.restart();
    await settled(db, slog);
    await Promise.all([ukW.stop(), rsoW.stop()]);
    // The first gw-c batch it handled after the restart starts at (or is answered with) the size it had.
    const first = rso.lines.slice(mark).find((l) => / gw-c /.test(l))!;
    expect(first).toMatch(new RegExp(`(stored gw-c \\[${before},|holding ${before}$)`));
    const b = held(rso, 'gw-c');
    expect(b.entries).toEqual(held(uk, 'gw-c').entries);
    expect(b.entries.length).toBe(gw.log.size);
  });
});

describe('the real receiver rejects what does not verify, logs why, and stores nothing', () => {
  const gw = forged;
  let client: mqtt.MqttClient;
  const acks: AckPayload[] = [];
  let seq = 100;

  beforeAll(async () => {
    for (let h = 0; h < 5; h++) gw.append('hourly', hourlyBody(1, h));
    gw.checkpoint();
    for (let h = 5; h < 10; h++) gw.append('hourly', hourlyBody(1, h));
    gw.checkpoint();
    for (let h = 10; h < 20; h++) gw.append('hourly', hourlyBody(1, h));
    gw.checkpoint();
    client = await mqtt.connectAsync(brokerA.url, { protocolVersion: 5 });
    client.on('message', (_t, p) => acks.push(decodeAck(p)));
    await client.subscribeAsync('opengkh/gw/+/ack', { qos: 1 });
    const r = await publish(gw.batch(0, 10));
    expect(r).toMatchObject({ status: 'stored', size: 10 });
  });
  afterAll(() => client?.endAsync());

  async function publish(b: BatchPayload, gwId = b.gw): Promise<AckPayload> {
    b.seq = ++seq;
    await client.publishAsync(`opengkh/gw/${gwId}/batch`, encode(b), { qos: 1 });
    await until(() => acks.some((a) => a.seq === b.seq), `ack of seq ${b.seq}`, 20_000);
    return acks.find((a) => a.seq === b.seq)!;
  }
  const count = () => held(uk, 'gw-x').entries.length;

  it.each([
    ['a tampered entry', () => {
      const b = gw.batch(10, 20);
      b.entries[3] = b.entries[3]!.replace('"unit":"MPa","value":0.62', '"unit":"MPa","value":0.72');
      return b;
    }, 'rejected', 'SYNC_ROOT_MISMATCH'],
    ['a forged signature', () => {
      const b = gw.batch(10, 20);
      const forger = new MemoryLog('gw-x');
      for (let h = 0; h < 20; h++) forger.append('hourly', hourlyBody(1, h));
      b.checkpoints = [{ ...b.checkpoints[0]!, note: forger.checkpoint().note }];
      return b;
    }, 'rejected', 'SYNC_SIGNATURE'],
    ['a checkpoint that shrinks the log', () => ({ ...gw.batch(10, 20), checkpoints: [gw.checkpoints.get(5)!] }), 'rejected', 'SYNC_CHECKPOINT_SHRINK'],
    ['a replayed old batch', () => gw.batch(0, 10), 'duplicate', 'SYNC_DUPLICATE'],
    ['a replayed old batch with an entry altered', () => {
      const b = gw.batch(5, 10);
      b.entries[1] = b.entries[1]!.replace('"unit":"MPa","value":0.62', '"unit":"MPa","value":0.52');
      return b;
    }, 'rejected', 'SYNC_FORK'],
  ] as const)('%s', async (_name, make, status, code) => {
    const b = make();
    const ack = await publish(b);
    expect(ack.status).toBe(status);
    expect(ack.size).toBe(10);
    if (status === 'rejected') expect(ack.code).toBe(code);
    const line = await uk.waitFor(new RegExp(`gw-x batch ${b.seq} .*${status === 'rejected' ? code : 'already held'}`));
    expect(line).toMatch(status === 'rejected' ? /rejected/ : /duplicate/);
    expect(count()).toBe(10);
  });

  it('an unknown gateway key', async () => {
    const stranger = new MemoryLog('gw-unknown');
    stranger.append('hourly', hourlyBody(1, 0));
    stranger.checkpoint();
    const ack = await publish(stranger.batch(0, 1));
    expect(ack).toMatchObject({ status: 'rejected', code: 'SYNC_UNKNOWN_GATEWAY', size: 0 });
    await uk.waitFor(/rejected gw-unknown batch \d+ .*SYNC_UNKNOWN_GATEWAY/);
    // A gateway registered under this id but signing with another key is a forged signature too.
    const impostor = new MemoryLog('gw-x');
    for (const e of gw.entries.slice(0, 20)) impostor.append('hourly', JSON.parse(e).body as object);
    impostor.checkpoint();
    const ack2 = await publish(impostor.batch(10, 20));
    expect(ack2).toMatchObject({ status: 'rejected', code: 'SYNC_SIGNATURE' });
    expect(count()).toBe(10);
  });
});
