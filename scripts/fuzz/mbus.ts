/**
 * Seeded fuzzer for the M-Bus decoder (edge/drivers/mbus): mutated, truncated, re-checksummed and random
 * frames from the libmbus vectors and the simulator. Properties checked for every input:
 *  - decodeTelegram returns or throws a GkhError with a codec code (FRAME_*, MBUS_UNSUPPORTED) — nothing else;
 *  - a successful decode implies a frame that an independent check finds well formed (start, L, checksum,
 *    stop): no value ever comes out of a frame whose checksum fails;
 *  - every value is a finite number, a string or null; decoding never takes longer than 2 s (no hang; generous for a loaded 2-core machine, typical is µs).
 * Run: node dist/scripts/fuzz/mbus.js [iterations=1000000] [seed=1]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isGkhError } from '../../edge/errors.js';
import { decodeTelegram, parseHex, SimMeter } from '../../edge/drivers/mbus/index.js';
import { vectorsDir } from '../../edge/testing.js';

/** mulberry32: small, fast, seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seed frames: every libmbus vector (valid, error, unsupported) and simulator telegrams. */
export function corpus(): Buffer[] {
  const out: Buffer[] = [];
  const root = join(vectorsDir(), 'mbus', 'libmbus');
  for (const d of ['test-frames', 'error-frames', 'unsupported-frames']) {
    for (const f of readdirSync(join(root, d)).filter((x) => x.endsWith('.hex'))) {
      try {
        out.push(parseHex(readFileSync(join(root, d, f), 'utf8')));
      } catch {
        // manual_frame1 is not even hex; it is exercised by the vector tests
      }
    }
  }
  const m = new SimMeter({ address: 1 }, () => Date.UTC(2026, 0, 1));
  out.push(m.telegram(0).frame, m.telegram(1).frame, Buffer.from([0xe5]), Buffer.from([0x10, 0x5b, 0x01, 0x5c, 0x16]));
  return out;
}

/** Independent well-formedness check of a long frame (not using the codec). */
function wellFormed(b: Buffer): boolean {
  if (b.length < 9 || b[0] !== 0x68 || b[3] !== 0x68 || b[1] !== b[2] || b.length !== b[1]! + 6 || b[b.length - 1] !== 0x16) return false;
  let s = 0;
  for (let i = 4; i < b.length - 2; i++) s += b[i]!;
  return (s & 0xff) === b[b.length - 2];
}

/** Rewrites L fields and the checksum so a mutation reaches the application layer. */
function refit(b: Buffer): Buffer {
  if (b.length < 9 || b[0] !== 0x68) return b;
  const l = Math.min(255, b.length - 6);
  const out = Buffer.from(b.subarray(0, l + 6));
  out[1] = l;
  out[2] = l;
  out[3] = 0x68;
  let s = 0;
  for (let i = 4; i < 4 + l; i++) s += out[i]!;
  out[4 + l] = s & 0xff;
  out[5 + l] = 0x16;
  return out;
}

function mutate(r: () => number, seed: Buffer): Buffer {
  const pick = (n: number): number => Math.floor(r() * n);
  let b = Buffer.from(seed);
  const rounds = 1 + pick(4);
  for (let k = 0; k < rounds; k++) {
    const op = pick(9);
    const at = b.length ? pick(b.length) : 0;
    if (op === 0 && b.length) b[at] = b[at]! ^ (1 << pick(8)); // bit flip
    else if (op === 1 && b.length) b[at] = pick(256); // random byte
    else if (op === 2) b = Buffer.concat([b.subarray(0, at), Buffer.from([pick(256)]), b.subarray(at)]); // insert
    else if (op === 3 && b.length) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]); // delete
    else if (op === 4) b = b.subarray(0, at); // truncate
    else if (op === 5 && b.length > 8) {
      const len = 1 + pick(Math.min(16, b.length - at));
      b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)]); // duplicate a run
    } else if (op === 6 && b.length) b[at] = [0x00, 0x0f, 0x1f, 0x2f, 0x7f, 0x80, 0xfb, 0xfc, 0xfd, 0xff, 0x0d, 0xbf, 0xc9, 0xf6][pick(14)]!; // interesting codes
    else if (op === 7) b = Buffer.from(Array.from({ length: pick(300) }, () => pick(256))); // random bytes
    else if (op === 8 && b.length > 8) b = Buffer.concat([b, b.subarray(7 + pick(b.length - 7))]); // append tail
  }
  return r() < 0.6 ? refit(b) : b;
}

/** Outcome counts of one run. */
export interface FuzzReport {
  iterations: number;
  seed: number;
  decoded: number;
  rejected: Record<string, number>;
  failures: { input: string; problem: string }[];
  maxMs: number;
  /** The slowest input, hex, re-timed alone in `slowestAloneMs` (tells a pathological input from a GC pause). */
  slowest: string;
  slowestAloneMs: number;
  seconds: number;
}

/** Runs `iterations` inputs from `seed`; stops collecting after 20 failures. */
export function fuzz(iterations: number, seed = 1): FuzzReport {
  const r = rng(seed);
  const seeds = corpus();
  const rep: FuzzReport = { iterations, seed, decoded: 0, rejected: {}, failures: [], maxMs: 0, slowest: '', slowestAloneMs: 0, seconds: 0 };
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) {
    const input = mutate(r, seeds[Math.floor(r() * seeds.length)]!);
    const s = performance.now();
    try {
      const t = decodeTelegram(input);
      rep.decoded++;
      if (!wellFormed(input)) rep.failures.push({ input: input.toString('hex'), problem: 'decoded a frame that is not well formed (checksum/length/stop)' });
      const recs = t.type === 'variable' || t.type === 'fixed' || t.type === 'command' ? t.records : [];
      for (const x of recs)
        if (!(x.value === null || typeof x.value === 'string' || (typeof x.value === 'number' && Number.isFinite(x.value))))
          rep.failures.push({ input: input.toString('hex'), problem: `record value ${String(x.value)} is not finite/string/null` });
      JSON.stringify(t);
    } catch (e) {
      if (isGkhError(e) && (e.code.startsWith('FRAME_') || e.code === 'MBUS_UNSUPPORTED')) rep.rejected[e.code] = (rep.rejected[e.code] ?? 0) + 1;
      else rep.failures.push({ input: input.toString('hex'), problem: `untyped error: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` });
    }
    const ms = performance.now() - s;
    if (ms > rep.maxMs) {
      rep.maxMs = ms;
      rep.slowest = input.toString('hex');
    }
    if (ms > 2000) rep.failures.push({ input: input.toString('hex'), problem: `decode took ${ms.toFixed(0)} ms` });
    if (rep.failures.length >= 20) {
      rep.iterations = i + 1;
      break;
    }
  }
  rep.seconds = (performance.now() - t0) / 1000;
  const again = Buffer.from(rep.slowest, 'hex');
  const s = performance.now();
  for (let k = 0; k < 100; k++) {
    try {
      decodeTelegram(again);
    } catch {
      // typed errors were checked above
    }
  }
  rep.slowestAloneMs = (performance.now() - s) / 100;
  return rep;
}

function main(): void {
  const iterations = Number(process.argv[2] ?? 1_000_000);
  const seed = Number(process.argv[3] ?? 1);
  if (!Number.isInteger(iterations) || iterations < 1 || !Number.isInteger(seed)) {
    process.stderr.write('usage: node dist/scripts/fuzz/mbus.js [iterations] [seed]\n');
    process.exit(2);
  }
  const rep = fuzz(iterations, seed);
  const rejected = Object.entries(rep.rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  process.stdout.write(
    `mbus fuzz: ${rep.iterations} inputs (seed ${rep.seed}) in ${rep.seconds.toFixed(1)} s (${Math.round(rep.iterations / rep.seconds)}/s): ` +
      `${rep.decoded} decoded, rejected: ${rejected}; slowest ${rep.maxMs.toFixed(2)} ms (same input alone: ${rep.slowestAloneMs.toFixed(3)} ms); failures ${rep.failures.length}\n`,
  );
  for (const f of rep.failures) process.stdout.write(`  FAIL ${f.problem}\n    ${f.input}\n`);
  process.exitCode = rep.failures.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
