/**
 * Bench: the evidence log at 1,000,000 hourly-size entries.
 *
 * Append + hash + persist is measured on both write paths, each from the driver's record to a
 * committed, checkpointed entry (RFC 8785 canonicalisation + SHA-256 leaf hash + SQLite insert, WAL,
 * synchronous=FULL, one transaction and one signed checkpoint per batch):
 *   - the gateway's path, `EvidenceLog.append` inside the caller's transaction, one thread;
 *   - the bulk path, `LogWriter`: the caller's thread canonicalises and hashes, a writer thread
 *     stores, extends the tree and signs (the 1M-entry run; its database is then used for proofs at
 *     1M, opening (rebuild + re-verify) and a full `verifyEvidenceLog`).
 * Making the records is timed too (it is cheap and runs on the same two cores). The peer measured in
 * the same run is raw SHA-256 over the same entry bytes, the floor of any RFC 6962 log, printed as a
 * ratio; per-thread CPU seconds come from /proc.
 *
 * Run: `npm run bench -- log`, or `node dist/scripts/bench/log.js [entries] [batch] [gateway-path entries]`
 * (defaults 1000000, 1000, 200000).
 */
import * as crypto from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalize, encodeHourly, hourlyEntry, leafHashOfPrefixed, verifyConsistency, verifyInclusion, type HourlyRecordLike } from '../../edge/log/index.js';
import { EvidenceLog, LogWriter, openDb, verifyEvidenceLog } from '../../edge/store/index.js';

const T0 = Date.UTC(2026, 0, 1) / 1000;
const GW = 'bench-gw';
const TZ = 'Asia/Yekaterinburg';
const FRAME = '68 3c 3c 68 08 01 72 45 23 01 00 2d 2c 01 04 0a 00 00 00 04 06 12 00 00 00 04 13 34 12 00 00 05 5b 14 00 00 00 05 5f 2d 00 00 00 02 61 7b 00 04 6d 1e 0c e1 2b 0f 00 00 00 00 00 00 00 00 00 00 00 ab 16';
const METERS = Array.from({ length: 8 }, (_, i) => `m${i}`);

/** A driver record as a gateway gets it: 6 parameters and one raw M-Bus frame (entry ≈ 670 bytes canonical). */
export function sampleRecord(i: number): HourlyRecordLike {
  const hour = T0 + i * 3600;
  return {
    meterId: METERS[i % 8]!,
    system: 1 + (i % 2),
    hourStart: hour,
    values: {
      Q: { value: (1000 + (i % 977)) / 100_000, unit: 'Gcal' },
      M1: { value: (1234 + (i % 311)) / 1000, unit: 't' },
      M2: { value: (1229 + (i % 307)) / 1000, unit: 't' },
      t1: { value: (7012 + (i % 500)) / 100, unit: '°C' },
      t2: { value: (4530 + (i % 400)) / 100, unit: '°C' },
      hoursNormal: { value: 1, unit: 'h' },
    },
    flags: [],
    source: 'archive',
    rawFrames: [FRAME],
    readAt: (hour + 3600 + 65) * 1000,
  };
}

/** When the gateway appended record i. */
const appendedAt = (i: number): number => (T0 + i * 3600 + 3600 + 70) * 1000;

/** CPU seconds of each thread of this process so far (main thread first), from /proc/self/task. */
function threadCpu(): Map<string, number> {
  const out = new Map<string, number>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const s = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) / 100);
    }
  } catch {
    // not Linux: no per-thread figures
  }
  return out;
}

function ms(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function fmt(n: number, d = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

export async function main(total = 1_000_000, batch = 1000, gatewayTotal = 200_000): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'gkh-bench-log-'));
  try {
    const { privateKey } = crypto.generateKeyPairSync('ed25519');

    // Peers and parts: raw SHA-256 over the same entry bytes; canonicalisation both ways.
    const sample = Array.from({ length: 20_000 }, (_, i) => Buffer.from(encodeHourly(GW, sampleRecord(i), TZ, appendedAt(i)).text, 'utf8'));
    const avgBytes = sample.reduce((a, b) => a + b.length, 0) / sample.length;
    // The fastest SHA-256 node offers for short inputs, exactly as the log calls it (edge/log/hash.ts).
    const sha = (b: Buffer): Buffer => leafHashOfPrefixed(b);
    let t = process.hrtime.bigint();
    for (let r = 0; r < 10; r++) for (const b of sample) sha(b);
    const shaRate = (sample.length * 10) / (ms(t) / 1000);
    const recs = Array.from({ length: sample.length }, (_, i) => sampleRecord(i));
    t = process.hrtime.bigint();
    for (let r = 0; r < 3; r++) for (let i = 0; i < recs.length; i++) canonicalize(hourlyEntry(GW, recs[i]!, TZ, appendedAt(i)));
    const genericRate = (recs.length * 3) / (ms(t) / 1000);
    t = process.hrtime.bigint();
    for (let r = 0; r < 3; r++) for (let i = 0; i < recs.length; i++) encodeHourly(GW, recs[i]!, TZ, appendedAt(i));
    const encodeRate = (recs.length * 3) / (ms(t) / 1000);

    // 1. The gateway's path: EvidenceLog.append in the caller's transaction, one thread.
    const gwFile = join(dir, 'gateway-path.db');
    const gwDb = openDb(gwFile);
    const gwLog = EvidenceLog.open(gwDb, { gatewayId: GW, privateKey });
    t = process.hrtime.bigint();
    for (let start = 0; start < gatewayTotal; start += batch) {
      const n = Math.min(batch, gatewayTotal - start);
      gwDb.transaction(() => {
        const es = [];
        for (let i = start; i < start + n; i++) es.push(encodeHourly(GW, sampleRecord(i), TZ, appendedAt(i)));
        gwLog.append(es);
        gwLog.checkpoint();
      })();
    }
    const gwRate = gatewayTotal / (ms(t) / 1000);
    gwDb.close();

    // 2. The bulk path: LogWriter, 1M entries.
    const file = join(dir, 'gateway.db');
    const writer = await LogWriter.open({ file, gatewayId: GW, privateKey });
    const cpu0 = threadCpu();
    const load0 = loadavg()[0]!;
    t = process.hrtime.bigint();
    let done = 0;
    let lastReport = Date.now();
    for (let start = 0; start < total; start += batch) {
      const n = Math.min(batch, total - start);
      const es = [];
      for (let i = start; i < start + n; i++) es.push(encodeHourly(GW, sampleRecord(i), TZ, appendedAt(i)));
      await writer.drain();
      void writer.append(es).then((b) => (done = b.size));
      if (Date.now() - lastReport > 2000 && process.stderr.isTTY) {
        process.stderr.write(`\r  LogWriter: ${fmt(done)} / ${fmt(total)} committed`);
        lastReport = Date.now();
      }
    }
    await writer.flush();
    const appendMs = ms(t);
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    const cpu1 = threadCpu();
    const load1 = loadavg()[0]!;
    await writer.close();
    const rate = total / (appendMs / 1000);
    const perThread = [...cpu1].map(([tid, c]) => [tid, c - (cpu0.get(tid) ?? 0)] as const).filter(([, c]) => c > 0.05);
    const mainTid = String(process.pid);
    // The writer is the busiest thread besides main; the rest are V8's GC and compiler helpers.
    const others = perThread.filter(([tid]) => tid !== mainTid).sort((a, b) => b[1] - a[1]);
    const mainCpu = perThread.find(([tid]) => tid === mainTid)?.[1] ?? 0;
    const threadLine = perThread.length ? `main (canonicalise + hash) ${fmt(mainCpu, 1)} s, writer (store + tree + sign) ${fmt(others[0]?.[1] ?? 0, 1)} s, V8 helpers ${fmt(others.slice(1).reduce((a, [, c]) => a + c, 0), 1)} s` : '';

    const db = openDb(file);
    const log = EvidenceLog.open(db, { gatewayId: GW, privateKey, trustLeafHashes: true });
    const size = log.size;
    if (size !== total) throw new Error(`LogWriter stored ${size} entries, expected ${total}`);
    const root = log.root();

    // Proofs at 1M.
    const K = 1000;
    const hashes = new Map<number, Buffer>();
    t = process.hrtime.bigint();
    const proofs: [number, Buffer[]][] = [];
    for (let k = 0; k < K; k++) {
      const i = Math.floor((k * 2654435761) % size);
      proofs.push([i, log.inclusionProof(i)]);
    }
    const inclMs = ms(t) / K;
    for (const [i] of proofs) hashes.set(i, log.leafHashes(i, i + 1)[0]!);
    t = process.hrtime.bigint();
    for (const [i, p] of proofs) verifyInclusion(i, size, hashes.get(i)!, p, root);
    const inclVerMs = ms(t) / K;
    t = process.hrtime.bigint();
    const cons: [number, Buffer[]][] = [];
    for (let k = 0; k < K; k++) {
      const m = 1 + Math.floor((k * 40503) % (size - 1));
      cons.push([m, log.consistencyProof(m)]);
    }
    const consMs = ms(t) / K;
    const roots = cons.slice(0, 50).map(([m]) => log.rootAt(m));
    t = process.hrtime.bigint();
    cons.slice(0, 50).forEach(([m, p], j) => verifyConsistency(m, size, roots[j]!, root, p));
    const consVerMs = ms(t) / 50;
    const proofLen = proofs[0]![1].length;
    db.close();
    const dbBytes = statSync(file).size + (() => {
      try {
        return statSync(`${file}-wal`).size;
      } catch {
        return 0;
      }
    })();

    // Open = rebuild from disk (every leaf hash recomputed from the entry bytes) + re-verify.
    t = process.hrtime.bigint();
    const db2 = openDb(file);
    const log2 = EvidenceLog.open(db2, { gatewayId: 'bench-gw', privateKey });
    const openMs = ms(t);
    if (!log2.root().equals(root)) throw new Error('root differs after reopen');
    t = process.hrtime.bigint();
    const rep = verifyEvidenceLog(db2, [log2.vkey]);
    const verifyMs = ms(t);
    if (!rep.ok) throw new Error(`verify failed: ${JSON.stringify(rep.firstBad)}`);
    db2.close();

    console.log(`evidence log bench: ${fmt(total)} hourly entries, ${fmt(avgBytes)} bytes canonical each, batch ${fmt(batch)} (batch + its signed checkpoint in 1 transaction), SQLite WAL synchronous=FULL, ${cpus().length} cores`);
    console.log(`  raw SHA-256 (peer, same bytes):        ${fmt(shaRate)} entries/s (${fmt((shaRate * avgBytes) / 1e6, 1)} MB/s)`);
    console.log(`  canonicalise, generic RFC 8785 path:   ${fmt(genericRate)} entries/s (hourlyEntry + canonicalize)`);
    console.log(`  canonicalise, encodeHourly:            ${fmt(encodeRate)} entries/s (same bytes, ×${fmt(encodeRate / genericRate, 1)})`);
    console.log(`  append + hash + persist, gateway path (EvidenceLog.append in the caller's transaction, 1 thread, ${fmt(gatewayTotal)} entries): ${fmt(gwRate)} entries/s`);
    console.log(`  append + hash + persist, LogWriter (2 threads, ${fmt(total)} entries): ${fmt(rate)} entries/s (${fmt(appendMs / 1000, 1)} s)  target ≥ 100,000: ${rate >= 100_000 ? 'MET' : 'NOT MET'}`);
    console.log(`    CPU by thread: ${threadLine || 'n/a'}; load average ${fmt(load0, 1)} → ${fmt(load1, 1)}`);
    console.log(`    ratio to raw SHA-256: ${fmt(rate / shaRate, 3)}`);
    console.log(`  inclusion proof at ${fmt(size)}:         make ${fmt(inclMs * 1000, 0)} µs, verify ${fmt(inclVerMs * 1000, 0)} µs (${proofLen} hashes)`);
    console.log(`  consistency proof to ${fmt(size)}:       make ${fmt(consMs * 1000, 0)} µs, verify ${fmt(consVerMs * 1000, 0)} µs`);
    console.log(`  open (rebuild from entry bytes + re-verify checkpoint): ${fmt(openMs)} ms = ${fmt(total / (openMs / 1000))} entries/s`);
    console.log(`  full verify (${rep.checkpoints} checkpoints, canonical check of every entry): ${fmt(verifyMs)} ms = ${fmt(total / (verifyMs / 1000))} entries/s`);
    console.log(`  database: ${fmt(dbBytes / 1e6, 1)} MB (${fmt(dbBytes / total, 0)} bytes/entry)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const total = Number(process.argv[2] ?? 1_000_000);
  const batch = Number(process.argv[3] ?? 1000);
  const gatewayTotal = Number(process.argv[4] ?? Math.min(total, 200_000));
  main(total, batch, gatewayTotal).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
