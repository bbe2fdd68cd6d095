/**
 * Bench: the evidence log at 1,000,000 hourly-size entries.
 *
 * Measures append (RFC 8785 canonicalisation + SHA-256 leaf hash + SQLite insert, WAL,
 * synchronous=FULL, one transaction and one signed checkpoint per batch), then inclusion and
 * consistency proof generation and verification at 1M, opening (rebuild + re-verify) and a full
 * `verifyEvidenceLog`. The peer measured in the same run is raw SHA-256 over the same entry bytes
 * (one createHash per entry): the floor of any RFC 6962 log, printed as a ratio.
 *
 * Run: `npx tsc -p . && node dist/scripts/bench/log.js [entries] [batch]` (defaults 1000000, 1000).
 */
import * as crypto from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canonicalBytes, hourlyEntry, verifyConsistency, verifyInclusion } from '../../edge/log/index.js';
import { EvidenceLog, openDb, verifyEvidenceLog } from '../../edge/store/index.js';

const T0 = Date.UTC(2026, 0, 1);

/** An hourly entry as a gateway writes it: 6 parameters and one raw M-Bus frame (~670 bytes canonical). */
export function sampleHourly(i: number): object {
  const hour = T0 / 1000 + i * 3600;
  return hourlyEntry(
    'bench-gw',
    {
      meterId: `m${i % 8}`,
      system: 1 + (i % 2),
      hourStart: hour,
      values: {
        Q: { value: Number(`${1000 + (i % 977)}e-5`), unit: 'Gcal' },
        M1: { value: Number(`${1234 + (i % 311)}e-3`), unit: 't' },
        M2: { value: Number(`${1229 + (i % 307)}e-3`), unit: 't' },
        t1: { value: Number(`${7012 + (i % 500)}e-2`), unit: '°C' },
        t2: { value: Number(`${4530 + (i % 400)}e-2`), unit: '°C' },
        hoursNormal: { value: 1, unit: 'h' },
      },
      flags: [],
      source: 'archive',
      rawFrames: ['68 3c 3c 68 08 01 72 45 23 01 00 2d 2c 01 04 0a 00 00 00 04 06 12 00 00 00 04 13 34 12 00 00 05 5b 14 00 00 00 05 5f 2d 00 00 00 02 61 7b 00 04 6d 1e 0c e1 2b 0f 00 00 00 00 00 00 00 00 00 00 00 ab 16'],
      readAt: (hour + 3600 + 65) * 1000,
    },
    'Asia/Yekaterinburg',
    (hour + 3600 + 70) * 1000,
  );
}

function ms(t: bigint): number {
  return Number(process.hrtime.bigint() - t) / 1e6;
}

function fmt(n: number, d = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
}

export function main(total = 1_000_000, batch = 1000): void {
  const dir = mkdtempSync(join(tmpdir(), 'gkh-bench-log-'));
  try {
    const file = join(dir, 'gateway.db');
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    const db = openDb(file);
    const log = EvidenceLog.open(db, { gatewayId: 'bench-gw', privateKey });

    // Peer: raw SHA-256 over the canonical bytes of a sample of entries, same sizes.
    const sample = Array.from({ length: 20_000 }, (_, i) => canonicalBytes(sampleHourly(i)));
    const avgBytes = sample.reduce((a, b) => a + b.length, 0) / sample.length;
    // The fastest SHA-256 node offers for short inputs: one-shot crypto.hash where present.
    const oneShot = (crypto as { hash?: (a: string, d: Uint8Array, e: 'buffer') => Buffer }).hash;
    const sha = oneShot ? (b: Buffer) => oneShot('sha256', b, 'buffer') : (b: Buffer) => crypto.createHash('sha256').update(b).digest();
    let t = process.hrtime.bigint();
    for (let r = 0; r < 10; r++) for (const b of sample) sha(b);
    const shaRate = (sample.length * 10) / (ms(t) / 1000);
    const objs = Array.from({ length: sample.length }, (_, i) => sampleHourly(i));
    t = process.hrtime.bigint();
    for (let r = 0; r < 5; r++) for (const o of objs) canonicalBytes(o);
    const canonRate = (objs.length * 5) / (ms(t) / 1000);

    // Append + hash + persist, one transaction and one signed checkpoint per batch.
    let appendMs = 0;
    let cpMs = 0;
    let cpuUs = 0;
    const load0 = loadavg()[0]!;
    for (let start = 0; start < total; start += batch) {
      const n = Math.min(batch, total - start);
      const entries = Array.from({ length: n }, (_, i) => sampleHourly(start + i)); // generation not timed
      // The batch and its checkpoint commit together (one fsync), as the gateway and sync do.
      t = process.hrtime.bigint();
      const c0 = process.cpuUsage();
      db.transaction(() => {
        log.append(entries);
        const t1 = process.hrtime.bigint();
        log.checkpoint();
        cpMs += ms(t1);
      })();
      appendMs += ms(t);
      const c = process.cpuUsage(c0);
      cpuUs += c.user + c.system;
    }
    const load1 = loadavg()[0]!;
    const rate = total / (appendMs / 1000);
    // CPU time of this process inside the timed appends: on a shared, loaded machine wall time also
    // measures the other processes. fsync waits are not CPU time, so this is an upper bound.
    const cpuRate = total / (cpuUs / 1e6);
    const size = log.size;
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

    const peerAppendRate = 1 / (1 / shaRate + 1 / canonRate);
    console.log(`evidence log bench: ${fmt(total)} hourly entries, ${fmt(avgBytes)} bytes canonical each, batch ${fmt(batch)} (batch + its signed checkpoint in 1 transaction), SQLite WAL synchronous=FULL`);
    console.log(`  raw SHA-256 (peer, same bytes):      ${fmt(shaRate)} entries/s (${fmt((shaRate * avgBytes) / 1e6, 1)} MB/s)`);
    console.log(`  RFC 8785 canonicalisation alone:     ${fmt(canonRate)} entries/s`);
    console.log(`  append + hash + persist:             ${fmt(rate)} entries/s  (${fmt(appendMs / 1000, 1)} s, of which signing checkpoints ${fmt(cpMs, 0)} ms)  target ≥ 100,000: ${rate >= 100_000 ? 'MET' : 'NOT MET'}`);
    console.log(`  same, per CPU-second spent in append (fsync waits excluded): ${fmt(cpuRate)} entries/s; load average ${fmt(load0, 1)} → ${fmt(load1, 1)} on ${cpus().length} cores`);
    console.log(`  ratio to raw SHA-256:                ${fmt(rate / shaRate, 3)}  (to SHA-256 + canonicalisation: ${fmt(rate / peerAppendRate, 3)})`);
    console.log(`  inclusion proof at ${fmt(size)}:       make ${fmt(inclMs * 1000, 0)} µs, verify ${fmt(inclVerMs * 1000, 0)} µs (${proofLen} hashes)`);
    console.log(`  consistency proof to ${fmt(size)}:     make ${fmt(consMs * 1000, 0)} µs, verify ${fmt(consVerMs * 1000, 0)} µs`);
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
  main(total, batch);
}
