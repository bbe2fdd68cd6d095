import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../../errors.js';
import { loadProfile } from '../profiles/index.js';
import { encodeRequest, readRegistersPayload, writeRegistersPayload } from '../modbus/rtu.js';
import { RtuSession } from '../modbus/session.js';
import { float32Decimal } from '../modbus/values.js';
import { FaultInjector } from '../sim/faults.js';
import { RtuServer } from '../sim/rtu-server.js';
import { socatPair, SerialTransport, type PtyPairLike } from '../tsrv/test-pty.js';
import { toHex, type HourlyRecord } from '../types.js';
import { decodeParamList, decodePointer, decodeRecord, encodeParamList, encodePointer, encodeRecord } from './codec.js';
import { KaratDriver } from './driver.js';
import { KaratSimulator, karatRawHour } from './sim.js';

const profile = loadProfile('karat-307');
const def = profile.karatArchive!;

describe('Карат-307 codec', () => {
  it('pointer write and archive reads are byte-exact (CRC checked against pymodbus computeCRC)', () => {
    const ptr = encodePointer({ year: 2026, month: 11, day: 27, hour: 9 });
    expect(toHex(encodeRequest(1, 0x10, writeRegistersPayload(def.pointerRegister, ptr)))).toBe('01 10 00 60 00 02 04 09 1b 0b 1a 00 e7');
    expect(toHex(encodeRequest(1, 3, readRegistersPayload(def.hourArea, def.readRegisters)))).toBe('01 03 00 00 00 78 45 e8');
    expect(toHex(encodeRequest(1, 3, readRegistersPayload(def.hourArea + def.nextOffset, def.readRegisters)))).toBe('01 03 00 05 00 78 55 e9');
    expect(decodePointer(ptr)).toEqual({ year: 2026, month: 11, day: 27, hour: 9 });
    expect(() => decodePointer(Buffer.from([24, 1, 1, 26]))).toThrow(expect.objectContaining({ code: 'FRAME_FIELD', context: expect.objectContaining({ byte: 0 }) }));
    expect(() => decodePointer(Buffer.from([1, 1, 13, 26]))).toThrow(expect.objectContaining({ code: 'FRAME_FIELD', context: expect.objectContaining({ byte: 2 }) }));
  });

  it('parameter list: codes from the second byte, 0 skipped, 0xFF ends', () => {
    const codes = def.codes.map((c) => c.code);
    expect(decodeParamList(encodeParamList(codes, def), def)).toEqual(codes);
    const b = Buffer.from([16, 0x51, 0, 0x31, 0xff, 0x21]);
    expect(decodeParamList(b, def)).toEqual([0x51, 0x31]);
  });

  it('record: date at header byte 13, little-endian floats in list order, per heat system', () => {
    const codes = [0x51, 0x31, 0x33, 0xb0, 0xc0];
    const bytes = encodeRecord({ minute: 0, hour: 9, day: 27, month: 11, year: 2026 }, codes, new Map([[0x51, Math.fround(0.123456)], [0x31, Math.fround(71.25)], [0x33, Math.fround(65.5)], [0xb0, 45], [0xc0, 0x100]]), def);
    // Little-endian float32 bytes as Python's struct.pack('<f', x) gives them: 0.123456 → 80 d6 fc 3d, 71.25 → 00 80 8e 42, 65.5 → 00 00 83 42.
    expect(toHex(bytes.subarray(13, 34))).toBe('00 09 1b 0b 1a 80 d6 fc 3d 00 80 8e 42 00 00 83 42 2d 00 00 00');
    const rec = decodeRecord(bytes, codes, def, [1, 2]);
    expect(rec.date).toEqual({ minute: 0, hour: 9, day: 27, month: 11, year: 2026 });
    expect(rec.systems.get(1)).toEqual({ Q: { value: 0.123456, unit: 'Gcal' }, t1: { value: 71.25, unit: '°C' }, hoursNormal: { value: 0.75, unit: 'h' } });
    expect(rec.systems.get(2)).toEqual({ t1: { value: 65.5, unit: '°C' }, hoursNormal: { value: 0.75, unit: 'h' } });
    expect(rec.flags).toEqual([0x100]);
    expect(decodeRecord(encodeRecord(undefined, codes, new Map(), def), codes, def, [1]).date).toBeUndefined();
    const bad = Buffer.from(bytes);
    bad[15] = 40; // day 40
    expect(() => decodeRecord(bad, codes, def, [1])).toThrow(expect.objectContaining({ code: 'FRAME_FIELD', context: expect.objectContaining({ byte: 13 }) }));
    expect(() => decodeRecord(bytes.subarray(0, 10), codes, def, [1])).toThrow(expect.objectContaining({ code: 'FRAME_TRUNCATED' }));
  });
});

describe('Карат-307 over a socat pty at 9600 8N1', () => {
  let pair: PtyPairLike;
  let server: RtuServer;
  let sim: KaratSimulator;
  let transport: SerialTransport;
  const faults = new FaultInjector();
  const nowMs = Date.UTC(2026, 10, 27, 10, 20, 0);
  const tz = 'Europe/Moscow';

  beforeAll(async () => {
    pair = await socatPair();
    sim = new KaratSimulator({ profile, address: 3, now: () => nowMs, timeZone: tz });
    server = new RtuServer([sim], faults);
    await server.listen({ serial: pair.b, baudRate: 9600 });
    transport = new SerialTransport({ path: pair.a, baudRate: 9600, parity: 'none', dataBits: 8, stopBits: 1 });
    await transport.open();
  });
  afterAll(async () => {
    await transport?.close();
    await server?.close();
    await pair?.close();
  });

  const driver = (gaps: [number, number][] = []) =>
    new KaratDriver({ meterId: 'karat-3', address: 3, profile, session: new RtuSession(transport, { timeoutMs: 400, interByteTimeoutMs: 20, guardTimeMs: 0, retries: 2 }), timeZone: tz, now: () => nowMs, onGap: (s, h) => gaps.push([s, h]) });

  it('identifies: serial, firmware, clock through modbus-serial', async () => {
    expect(await driver().identify()).toMatchObject({ serial: '307004711', firmware: 'K307 v2.5', meterClock: nowMs / 1000, model: 'Карат-307' });
  });

  it('reads current values by the parameter list', async () => {
    const cur = await driver().readCurrent();
    expect(cur.systems.map((s) => s.system)).toEqual([1, 2]);
    expect(cur.systems[0]!.values.t1!.unit).toBe('°C');
  });

  it('backfills 45 days: every hour of both systems exactly once, equal to the simulator archive', async () => {
    const to = Math.floor(nowMs / 3600_000) * 3600;
    const from = to - 45 * 24 * 3600;
    const before = server.requests;
    const t0 = performance.now();
    let last = 0;
    const recs = await driver().readHourly(from, to, (d) => (last = d));
    console.log(`Карат 45-day backfill: ${recs.length} records in ${(performance.now() - t0).toFixed(0)} ms, ${server.requests - before} requests`);
    expect(last).toBe(1080);
    expect(recs).toHaveLength(2 * 1080);
    const seen = new Set<string>();
    for (const r of recs) {
      const k = `${r.system}/${r.hourStart}`;
      expect(seen.has(k), k).toBe(false);
      seen.add(k);
      expect(r.hourStart >= from && r.hourStart < to).toBe(true);
      expectEqualsSim(r);
    }
  });

  it('gap and newest closed hour: missing hours reported, nothing past the meter clock', async () => {
    const to = Math.floor(nowMs / 3600_000) * 3600;
    sim.gaps = [[to - 10 * 3600, to - 7 * 3600]];
    sim.clockOffsetSeconds = -1800;
    try {
      const gaps: [number, number][] = [];
      const recs = await driver(gaps).readHourly(to - 24 * 3600, to + 3 * 3600);
      // By the meter clock (09:50) the newest closed hour starts at 08:00.
      expect(Math.max(...recs.map((r) => r.hourStart))).toBe(to - 2 * 3600);
      expect(recs).toHaveLength(2 * (23 - 3));
      expect(gaps).toHaveLength(2 * 3);
      recs.forEach(expectEqualsSim);
    } finally {
      sim.gaps = [];
      sim.clockOffsetSeconds = 0;
    }
  });

  for (const kind of ['silent', 'crc', 'wrong-address', 'noise'] as const) {
    it(`fault ${kind}: intermittent recovers without skipping a record, permanent gives a typed error`, async () => {
      const to = Math.floor(nowMs / 3600_000) * 3600;
      faults.rules = [{ kind, every: 3 }];
      try {
        const recs = await driver().readHourly(to - 12 * 3600, to);
        expect(recs.map((r) => r.hourStart)).toEqual([...Array(12).keys()].flatMap((i) => [to - (12 - i) * 3600, to - (12 - i) * 3600]));
        recs.forEach(expectEqualsSim);
        faults.rules = [{ kind, every: 1 }];
        const err = await driver()
          .identify()
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        const want = { silent: 'TRANSPORT_TIMEOUT', crc: 'FRAME_CHECKSUM', 'wrong-address': 'DRIVER_WRONG_ADDRESS', noise: 'FRAME_NOISE' }[kind];
        expect(isGkhError(err, want), String(err)).toBe(true);
        expect((err as { context: { tries: number } }).context.tries).toBe(3);
      } finally {
        faults.rules = [];
      }
    });
  }

  function expectEqualsSim(r: HourlyRecord): void {
    const raw = karatRawHour(r.hourStart);
    const v = (code: number) => float32Decimal(raw.get(code)!);
    const s1 = r.system === 1;
    expect(r.values).toEqual({
      Q: { value: v(s1 ? 0x51 : 0x52), unit: 'Gcal' },
      M1: { value: v(s1 ? 0x21 : 0x23), unit: 't' },
      M2: { value: v(s1 ? 0x22 : 0x24), unit: 't' },
      t1: { value: v(s1 ? 0x31 : 0x33), unit: '°C' },
      t2: { value: v(s1 ? 0x32 : 0x34), unit: '°C' },
      ...(s1 ? { V1: { value: v(0x11), unit: 'm³' }, V2: { value: v(0x12), unit: 'm³' }, P1: { value: v(0x41), unit: 'MPa' }, P2: { value: v(0x42), unit: 'MPa' } } : {}),
      hoursNormal: { value: Number((raw.get(0xb0)! / 60).toPrecision(12)), unit: 'h' },
    });
    expect(r.flags).toEqual(raw.get(0xc0) ? ['NS:0x00000100'] : []);
  }
});
