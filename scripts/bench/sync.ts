/**
 * Benchmark: drain a backlog of 30 days × 32 meters (hourly entries, a checkpoint per hour as the
 * poller makes them, plus events) from the gateway's evidence log to two real receivers, each behind
 * its own mosquitto on loopback. Prints seconds, entries/s, and the ratio to mosquitto's own
 * throughput for the same payload bytes (the very batch payloads, mosquitto_pub -l → mosquitto_sub,
 * QoS 1, two pairs in parallel on the same two brokers) measured in the same run.
 *
 * Run: npx tsc -p . && node dist/scripts/bench/sync.js [days] [meters]
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, createReadStream } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeEntry } from '../../edge/log/entry.js';
import { getCursor } from '../../edge/store/cursors.js';
import { openDb } from '../../edge/store/db.js';
import { EvidenceLog } from '../../edge/store/evidence.js';
import { startBroker, type Broker } from '../../edge/sync/broker.js';
import { hourlyBody } from '../../edge/sync/fixtures.js';
import { spawnReceiver, writeReceiverConfig } from '../../edge/sync/harness.js';
import { evidenceSyncLog } from '../../edge/sync/log-source.js';
import { SyncWorker } from '../../edge/sync/worker.js';

/** CPU seconds (user + system) a live process has used so far, from /proc/<pid>/stat (Linux). */
function procCpuS(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** mosquitto_pub -l of `file` (one message per line) into mosquitto_sub on the same broker; seconds. */
async function rawPubSub(b: Broker, file: string, count: number): Promise<number> {
  const t = `bench/raw/${Math.random().toString(36).slice(2)}`;
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(b.port), '-t', t, '-q', '1', '-C', String(count)], { stdio: ['ignore', 'ignore', 'inherit'] });
  await new Promise((r) => setTimeout(r, 300)); // subscribed before the first publish
  const t0 = process.hrtime.bigint();
  const pub = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(b.port), '-t', t, '-q', '1', '-l'], { stdio: ['pipe', 'ignore', 'inherit'] });
  createReadStream(file).pipe(pub.stdin);
  await new Promise<void>((res, rej) => {
    sub.once('exit', (code) => (code === 0 ? res() : rej(new Error(`mosquitto_sub exited ${code}`))));
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  pub.kill();
  return s;
}

function navigatorCpus(): number {
  return availableParallelism();
}

export async function main(days = 30, meters = 32): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'gkh-bench-sync-'));
  try {
    // The backlog: what a gateway holds after `days` without a connection.
    const db = openDb(join(root, 'gateway.db'));
    const gatewayId = 'bench-gw';
    const log = EvidenceLog.open(db, { gatewayId, privateKey: generateKeyPairSync('ed25519').privateKey });
    const tb = Date.now();
    let events = 0;
    for (let h = 0; h < days * 24; h++) {
      const at = Date.UTC(2026, 9, 1) + h * 3600_000 + 3605_000;
      const es: object[] = Array.from({ length: meters }, (_, m) => makeEntry('hourly', gatewayId, hourlyBody(m, h), at));
      // Events: one meter loses and regains its link every 6 h; a boot each day.
      if (h % 6 === 3) {
        es.push(makeEntry('comm.lost', gatewayId, { meterId: `m${String(h % meters).padStart(2, '0')}` }, at), makeEntry('comm.restored', gatewayId, { meterId: `m${String(h % meters).padStart(2, '0')}` }, at + 60_000));
        events += 2;
      }
      if (h % 24 === 0) {
        es.push(makeEntry('gateway.boot', gatewayId, { version: '0.1.0' }, at));
        events++;
      }
      db.transaction(() => {
        log.append(es);
        log.checkpoint();
      })();
    }
    const size = log.size;
    const buildS = (Date.now() - tb) / 1000;
    const slog = evidenceSyncLog(log, db, gatewayId);

    const [ba, bb] = await Promise.all([startBroker(join(root, 'broker-uk')), startBroker(join(root, 'broker-rso'))]);
    const gateways = [{ id: gatewayId, vkey: log.vkey }];
    const rxs = await Promise.all([
      spawnReceiver(join(root, 'uk'), writeReceiverConfig(join(root, 'uk'), { receiverId: 'uk', url: ba.url, gateways })),
      spawnReceiver(join(root, 'rso'), writeReceiverConfig(join(root, 'rso'), { receiverId: 'rso', url: bb.url, gateways })),
    ]);
    const payloads: Buffer[] = [];
    const mk = (id: string, role: string, b: Broker) =>
      new SyncWorker({ gatewayId, destination: { id, role, url: b.url, topicPrefix: 'opengkh', protocolVersion: 5, batch: { maxEntries: 500, maxBytes: 262144, window: 4 } }, db, log: slog, pollMs: 100, receiptIntervalMs: 3_600_000 });
    const ws = [mk('uk', 'УК', ba), mk('rso', 'РСО', bb)];
    ws[0]!.on('batch', (p: Buffer) => payloads.push(p));
    const rxCpu0 = rxs.map((r) => procCpuS(r.proc.pid));
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const done = ws.map((w) => new Promise<number>((res) => {
      const check = () => {
        if (getCursor(db, w.id).ackedSize >= size) {
          w.off('ack', check);
          res(Number(process.hrtime.bigint() - t0) / 1e9);
        }
      };
      w.on('ack', check);
    }));
    ws.forEach((w) => w.start());
    const [sUk, sRso] = await Promise.all(done);
    const syncS = Math.max(sUk!, sRso!);
    const gwCpu = process.cpuUsage(cpu0);
    const rxCpu = rxs.map((r, i) => procCpuS(r.proc.pid) - rxCpu0[i]!);
    const load = loadavg()[0]!;
    const st = ws.map((w) => w.status());
    await Promise.all(ws.map((w) => w.stop()));

    // Mosquitto alone, same bytes: the uk worker's batch payloads, through each broker in parallel.
    const file = join(root, 'payloads.txt');
    writeFileSync(file, payloads.map((p) => p.toString('utf8')).join('\n') + '\n');
    const bytes = payloads.reduce((a, p) => a + p.length, 0);
    const tr = process.hrtime.bigint();
    await Promise.all([rawPubSub(ba, file, payloads.length), rawPubSub(bb, file, payloads.length)]);
    const rawS = Number(process.hrtime.bigint() - tr) / 1e9;

    await Promise.all(rxs.map((r) => r.stop()));
    await Promise.all([ba.stop(), bb.stop()]);
    db.close();

    const mb = (x: number) => (x / 1e6).toFixed(1);
    console.log(`sync bench: ${days} days × ${meters} meters = ${size} entries (${days * 24 * meters} hourly + ${events} events + ${days * 24} checkpoints), backlog built in ${buildS.toFixed(1)} s`);
    console.log(`  drain to 2 receivers (own mosquitto each, loopback, verify + store + cosign): ${syncS.toFixed(2)} s (uk ${sUk!.toFixed(2)} s, rso ${sRso!.toFixed(2)} s)`);
    console.log(`  ${Math.round(size / syncS)} entries/s per destination, ${Math.round((2 * size) / syncS)} entries/s delivered; ${st[0]!.batchesSent} batches, ${mb(bytes)} MB per destination`);
    console.log(`  CPU during the drain: gateway ${((gwCpu.user + gwCpu.system) / 1e6).toFixed(2)} s, receivers ${rxCpu.map((x) => x.toFixed(2)).join(' s + ')} s; load average ${load.toFixed(1)} on ${navigatorCpus()} cores`);
    console.log(`  CPU-time rate: ${Math.round(size / Math.max(...rxCpu))} entries per receiver CPU-second (verify + store + cosign), ${Math.round((2 * size) / ((gwCpu.user + gwCpu.system) / 1e6))} per gateway CPU-second (both workers); the rest of the wall time is waiting (fsync per batch on both sides, scheduling)`);
    console.log(`  mosquitto_pub -l → mosquitto_sub, same ${payloads.length} payloads (${mb(bytes)} MB) on both brokers in parallel, QoS 1: ${rawS.toFixed(2)} s (${mb((2 * bytes) / rawS)} MB/s)`);
    console.log(`  ratio sync throughput / mosquitto raw throughput for the same bytes: ${(rawS / syncS).toFixed(3)} (sync takes ${(syncS / rawS).toFixed(1)}× the broker's own time)`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [d, m] = process.argv.slice(2).map(Number);
  main(d || 30, m || 32).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
