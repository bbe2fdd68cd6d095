/**
 * Archive backfill benchmark: 45 days (1080 hours × 2 heat systems) from the ТСРВ-034 and Карат-307
 * simulators over a socat pty, through the real serial transport and drivers. A pty moves bytes without a
 * baud clock, so the run measures the software; the physical limit is the wire time of the same bytes at
 * 9600 8N1 (10 bits per byte) plus the Modbus inter-frame silence (3.5 characters) per frame.
 * Printed: requests, bytes, wall time, wire-limited time, and wall/wire (how much of a real line's time the
 * software would add). ТСРВ is run with 1 and with 5 records per FC 0x41 request.
 * Run: node dist/scripts/bench/archives.js
 */
import { pathToFileURL } from 'node:url';
import { loadProfile } from '../../edge/drivers/profiles/index.js';
import { RtuSession } from '../../edge/drivers/modbus/session.js';
import { RtuServer } from '../../edge/drivers/sim/rtu-server.js';
import { TsrvSimulator } from '../../edge/drivers/tsrv/sim.js';
import { TsrvDriver } from '../../edge/drivers/tsrv/driver.js';
import { KaratSimulator } from '../../edge/drivers/karat/sim.js';
import { KaratDriver } from '../../edge/drivers/karat/driver.js';
import { SerialTransport } from '../../edge/drivers/transport/index.js';
import { socatPair } from '../../edge/drivers/transport/socat.js';
import type { MeterDriver, Transport } from '../../edge/drivers/index.js';
import type { DeviceProfile } from '../../edge/drivers/profiles/index.js';

const BAUD = 9600;
const wireMs = (bytes: number, frames: number): number => ((bytes + frames * 3.5) * 10 * 1000) / BAUD;

/** Counts bytes and frames through a transport. */
function counting(t: Transport): { t: Transport; bytes: () => number; frames: () => number } {
  let bytes = 0;
  let frames = 0;
  const write = t.write.bind(t);
  const read = t.read.bind(t);
  t.write = async (d) => {
    bytes += d.length;
    frames++;
    return write(d);
  };
  t.read = async (o) => {
    const b = await read(o);
    bytes += b.length;
    frames++;
    return b;
  };
  return { t, bytes: () => bytes, frames: () => frames };
}

async function one(name: string, make: (s: RtuSession) => { sim: TsrvSimulator | KaratSimulator; driver: MeterDriver }): Promise<void> {
  const pair = await socatPair();
  const nowMs = Date.UTC(2026, 10, 27, 10, 20, 0);
  const transport = new SerialTransport({ path: pair.a, baudRate: BAUD, parity: 'none', dataBits: 8, stopBits: 1 });
  const c = counting(transport);
  const session = new RtuSession(c.t, { timeoutMs: 1000, interByteTimeoutMs: 20, guardTimeMs: 0, retries: 2 });
  const { sim, driver } = make(session);
  sim.now = () => nowMs;
  const server = new RtuServer([sim]);
  await server.listen({ serial: pair.b, baudRate: BAUD });
  await transport.open();
  const to = Math.floor(nowMs / 3600_000) * 3600;
  const t0 = performance.now();
  const recs = await driver.readHourly(to - 45 * 86400, to);
  const wall = performance.now() - t0;
  const wire = wireMs(c.bytes(), c.frames());
  console.log(
    `${name.padEnd(26)} ${String(recs.length).padStart(5)} records  ${String(c.frames() / 2).padStart(5)} requests  ${String(c.bytes()).padStart(7)} bytes  ` +
      `wall ${wall.toFixed(0).padStart(6)} ms  wire@9600 ${wire.toFixed(0).padStart(7)} ms  wall/wire ${(wall / wire).toFixed(3)}`,
  );
  await transport.close();
  await server.close();
  await pair.close();
}

export async function main(): Promise<void> {
  const tsrv = loadProfile('vzljot-tsrv-034');
  const karat = loadProfile('karat-307');
  const tsrvWith = (n: number): DeviceProfile => ({ ...tsrv, tsrvArchive: { ...tsrv.tsrvArchive!, maxRecordsPerRequest: n } });
  console.log('45-day hourly backfill over a socat pty, 2 heat systems (physical limit: the same bytes at 9600 8N1)');
  for (const n of [1, 5])
    await one(`ТСРВ-034, ${n} rec/request`, (s) => ({ sim: new TsrvSimulator({ profile: tsrv, address: 1 }), driver: new TsrvDriver({ meterId: 'b', address: 1, profile: tsrvWith(n), session: s }) }));
  await one('Карат-307 (pointer + next)', (s) => ({ sim: new KaratSimulator({ profile: karat, address: 1 }), driver: new KaratDriver({ meterId: 'b', address: 1, profile: karat, session: s }) }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
