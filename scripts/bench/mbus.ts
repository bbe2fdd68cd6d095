/**
 * M-Bus benchmark.
 *  1. Decode throughput over the 76 libmbus test frames (frames/s), beside what a 2400 baud line can carry
 *     (each byte is 11 bits on the wire: start, 8 data, even parity, stop — EN 13757-2 §4).
 *  2. Software turnaround per transaction on a socat pty: from the last reply byte handed to the master to
 *     the first byte of its next request (decode, FCB, session logic), p50/p99, printed beside the wire
 *     time of the same transactions at 2400 baud. The slave is `opengkh simulate mbus` in a child process.
 * Run: node dist/scripts/bench/mbus.js [transactions=400]
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { decodeTelegram, MbusSession, parseHex } from '../../edge/drivers/mbus/index.js';
import { SerialTransport } from '../../edge/drivers/transport/index.js';
import { socatPair } from '../../edge/drivers/transport/socat.js';
import { vectorsDir } from '../../edge/testing.js';

const BAUD = 2400;
const BITS_PER_BYTE = 11;
const wireMs = (bytes: number): number => (bytes * BITS_PER_BYTE * 1000) / BAUD;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

/** Decodes the 76 frames repeatedly for `ms` milliseconds; frames/s and the wire's frames/s for the same frames. */
export function benchDecode(ms = 2000): { framesPerSec: number; wireFramesPerSec: number; bytesPerFrame: number } {
  const dir = join(vectorsDir(), 'mbus', 'libmbus', 'test-frames');
  const frames = readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .map((f) => parseHex(readFileSync(join(dir, f), 'utf8')));
  const bytes = frames.reduce((a, f) => a + f.length, 0);
  for (let i = 0; i < 200; i++) for (const f of frames) decodeTelegram(f); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    for (const f of frames) decodeTelegram(f);
    n += frames.length;
  }
  const secs = (performance.now() - t0) / 1000;
  return { framesPerSec: n / secs, wireFramesPerSec: 1000 / wireMs(bytes / frames.length), bytesPerFrame: bytes / frames.length };
}

/** Transactions against the simulator over a socat pty; turnaround and round-trip percentiles. */
export async function benchTurnaround(transactions = 400): Promise<{ turnaround: number[]; roundTrip: number[]; wire: number[] }> {
  const pair = await socatPair();
  const root = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
  const sim = spawn(process.execPath, [join(root, 'bin', 'opengkh.js'), 'simulate', 'mbus', '--serial', pair.b, '--address', '1', '--historic', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((res, rej) => {
      let out = '';
      sim.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('listening on')) res();
      });
      sim.once('exit', (c) => rej(new Error(`simulator exited ${c}`)));
    });
    const t = new SerialTransport({ path: pair.a });
    await t.open();
    let lastRx = 0;
    let txAt = 0;
    let txBytes = 0;
    const turnaround: number[] = [];
    const roundTrip: number[] = [];
    const wire: number[] = [];
    const s = new MbusSession(t, {
      timeoutMs: 2000,
      retries: 0,
      onTraffic: (dir, b) => {
        const now = performance.now();
        if (dir === 'tx') {
          if (lastRx) turnaround.push(now - lastRx);
          txAt = now;
          txBytes = b.length;
        } else {
          lastRx = now;
          roundTrip.push(now - txAt);
          wire.push(wireMs(txBytes + b.length));
        }
      },
    });
    await s.sndNke(1);
    for (let i = 0; i < transactions; i++) await s.reqUd2(1);
    await t.close();
    return { turnaround, roundTrip, wire };
  } finally {
    sim.kill('SIGTERM');
    await new Promise((r) => (sim.exitCode !== null ? r(undefined) : sim.once('exit', r)));
    await pair.close();
  }
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 400);
  const d = benchDecode();
  console.log(
    `mbus decode: ${Math.round(d.framesPerSec)} frames/s over the 76 libmbus frames (mean ${d.bytesPerFrame.toFixed(0)} bytes); ` +
      `a ${BAUD} baud line carries ${d.wireFramesPerSec.toFixed(2)} such frames/s → decoder is ${Math.round(d.framesPerSec / d.wireFramesPerSec)}× the wire`,
  );
  const r = await benchTurnaround(n);
  const f = (x: number): string => `${x.toFixed(3)} ms`;
  console.log(
    `mbus turnaround (socat pty, ${r.turnaround.length} transactions, last reply byte → next request byte): p50 ${f(pct(r.turnaround, 50))}, p99 ${f(pct(r.turnaround, 99))}; ` +
      `wire time of the same transaction at ${BAUD} baud: p50 ${f(pct(r.wire, 50))} → turnaround is ${((100 * pct(r.turnaround, 50)) / pct(r.wire, 50)).toFixed(3)} % (p99 ${((100 * pct(r.turnaround, 99)) / pct(r.wire, 50)).toFixed(3)} %) of it`,
  );
  console.log(`mbus round trip on the pty (request written → reply read, incl. simulator): p50 ${f(pct(r.roundTrip, 50))}, p99 ${f(pct(r.roundTrip, 99))}`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
