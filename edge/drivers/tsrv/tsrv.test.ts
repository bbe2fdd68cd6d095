import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../../errors.js';
import { loadProfile } from '../profiles/index.js';
import { encodeRequest, decodeReply } from '../modbus/rtu.js';
import { RtuSession } from '../modbus/session.js';
import { FaultInjector } from '../sim/faults.js';
import { RtuServer } from '../sim/rtu-server.js';
import { socatPair, SerialTransport, type PtyPairLike } from './test-pty.js';
import { fromHex, toHex, type HourlyRecord } from '../types.js';
import { BY_DATE, BY_INDEX, decodeArchiveData, decodeArchiveRequest, decodeIdentification, encodeArchiveRecord, encodeArchiveRequest } from './codec.js';
import { TsrvDriver } from './driver.js';
import { TsrvSimulator, tsrvRawHour } from './sim.js';

const profile = loadProfile('vzljot-tsrv-034');
const def = profile.tsrvArchive!;

describe('ТСРВ codec', () => {
  it('encodes an FC 0x41 by-date request byte for byte (CRC checked against pymodbus computeCRC)', () => {
    const p = encodeArchiveRequest({ archive: 0, count: 1, type: BY_DATE, date: { year: 2026, month: 11, day: 27, hour: 10, minute: 0, second: 0 } });
    expect(toHex(encodeRequest(1, 0x41, p))).toBe('01 41 00 00 00 01 01 00 00 0a 1b 0b 1a d9 be');
    expect(decodeArchiveRequest(p)).toEqual({ archive: 0, count: 1, type: BY_DATE, date: { year: 2026, month: 11, day: 27, hour: 10, minute: 0, second: 0 } });
    expect(toHex(encodeRequest(1, 0x11))).toBe('01 11 c0 2c');
  });

  it('round-trips by-index requests and rejects bad request payloads with the byte', () => {
    const p = encodeArchiveRequest({ archive: 3, count: 5, type: BY_INDEX, index: 700 });
    expect(decodeArchiveRequest(p)).toEqual({ archive: 3, count: 5, type: BY_INDEX, index: 700 });
    const bad = Buffer.from(p);
    bad[4] = 7;
    expect(() => decodeArchiveRequest(bad)).toThrow(expect.objectContaining({ code: 'FRAME_FIELD', context: expect.objectContaining({ byte: 4 }) }));
    expect(() => decodeArchiveRequest(p.subarray(0, 4))).toThrow(expect.objectContaining({ code: 'FRAME_LENGTH' }));
  });

  it('decodes a record by the profile layout with exact decimals and encodes it back', () => {
    // 2026-11-27 10:59:59 as the record time, Q 1.234 GJ, M1 12.345 t, M2 12.2 t, t1 71.25, t2 50.5, t3 −0.75 °C, 3600 s run.
    const hex = '69 28 3f bf 00 00 04 d2 00 00 00 00 00 00 00 00 00 00 30 39 00 00 2f a8 00 00 00 00 1b d5 13 ba ff b5 00 00 00 00 0e 10 00 00 00 00';
    const [rec] = decodeArchiveData(fromHex(hex), def);
    expect(rec!.time).toBe(0x69283fbf);
    expect(rec!.values).toEqual({
      Q: { value: 1.234, unit: 'GJ' },
      M1: { value: 12.345, unit: 't' },
      M2: { value: 12.2, unit: 't' },
      t1: { value: 71.25, unit: '°C' },
      t2: { value: 50.5, unit: '°C' },
      t3: { value: -0.75, unit: '°C' },
      hoursNormal: { value: 1, unit: 'h' },
      hoursError: { value: 0, unit: 'h' },
    });
    expect(toHex(encodeArchiveRecord(0x69283fbf, { Q: 1234, M1: 12345, M2: 12200, t1: 7125, t2: 5050, t3: -75, hoursNormal: 3600, hoursError: 0 }, def))).toBe(hex);
    expect(() => decodeArchiveData(fromHex(hex).subarray(0, 43), def)).toThrow(expect.objectContaining({ code: 'FRAME_LENGTH' }));
  });

  it('finds the version in the FC 0x11 text', () => {
    expect(decodeIdentification(Buffer.from('TSRV-034 VZLJOT 63.01.03.07\0', 'latin1')).version).toBe('63.01.03.07');
  });

  it('rejects bad reply frames with the exact error code', () => {
    const good = fromHex('01 41 00 ' + '00'.repeat(0)).subarray(0, 0);
    expect(good.length).toBe(0);
    const table: [string, string][] = [
      ['01 11 c0', 'FRAME_TRUNCATED'],
      ['01 83 02 c0 f0', 'FRAME_CHECKSUM'],
      ['02 83 02 c0 f1', 'FRAME_CHECKSUM'],
      ['01 83 02 c0 f1', 'DRIVER_MODBUS_EXCEPTION'],
    ];
    for (const [hex, code] of table) expect(() => decodeReply(fromHex(hex), 1, 3), hex).toThrow(expect.objectContaining({ code }));
  });
});

describe('ТСРВ over a socat pty at 9600 8N1', () => {
  let pair: PtyPairLike;
  let server: RtuServer;
  let sim: TsrvSimulator;
  let transport: SerialTransport;
  const faults = new FaultInjector();
  // A fixed simulated "now": 2026-11-27 10:20 UTC; the meter keeps Yekaterinburg time (UTC+5).
  const nowMs = Date.UTC(2026, 10, 27, 10, 20, 0);

  beforeAll(async () => {
    pair = await socatPair();
    sim = new TsrvSimulator({ profile, address: 7, now: () => nowMs, timeZone: 'Asia/Yekaterinburg', depthHours: 62 * 24 });
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

  const driver = (gaps: [number, number][] = [], retries = 2) =>
    new TsrvDriver({
      meterId: 'tsrv-7',
      address: 7,
      profile,
      session: new RtuSession(transport, { timeoutMs: 400, interByteTimeoutMs: 20, guardTimeMs: 0, retries }),
      timeZone: 'Asia/Yekaterinburg',
      now: () => nowMs,
      onGap: (system, hour) => gaps.push([system, hour]),
    });

  it('identifies: version by FC 0x11, serial and clock by FC 3 through modbus-serial', async () => {
    const id = await driver().identify();
    expect(id).toMatchObject({ serial: '340123', model: 'ТСРВ-034', firmware: '63.01.03.07', meterClock: nowMs / 1000 });
    expect(id.rawFrames).toHaveLength(3);
  });

  it('backfills 45 days: every hour of both systems exactly once, equal to the simulator archive', async () => {
    const to = Math.floor(nowMs / 3600_000) * 3600; // 10:00 UTC: hours up to 09:00 are closed
    const from = to - 45 * 24 * 3600;
    let lastProgress = 0;
    const t0 = performance.now();
    const recs = await driver().readHourly(from, to, (done, total) => {
      expect(total).toBe(2 * 1080);
      lastProgress = done;
    });
    const ms = performance.now() - t0;
    console.log(`ТСРВ 45-day backfill: ${recs.length} records in ${ms.toFixed(0)} ms, ${server.requests} requests so far`);
    expect(lastProgress).toBe(2 * 1080);
    expect(recs).toHaveLength(2 * 1080);
    const seen = new Set<string>();
    for (const r of recs) {
      const key = `${r.system}/${r.hourStart}`;
      expect(seen.has(key), key).toBe(false);
      seen.add(key);
      expect(r.hourStart).toBeGreaterThanOrEqual(from);
      expect(r.hourStart).toBeLessThan(to);
      expect(r.source).toBe('archive');
      expect(r.rawFrames[0]).toMatch(/^07 41 /);
      expectEqualsSim(r);
    }
  });

  it('skips an archive gap (reported, never invented) and stops at the newest closed hour', async () => {
    const to = Math.floor(nowMs / 3600_000) * 3600;
    sim.gaps = [[to - 30 * 3600, to - 20 * 3600]];
    try {
      const gaps: [number, number][] = [];
      const recs = await driver(gaps).readHourly(to - 48 * 3600, to + 5 * 3600);
      expect(recs).toHaveLength(2 * 38);
      expect(gaps).toHaveLength(2 * 10);
      expect(recs.some((r) => r.hourStart >= to - 30 * 3600 && r.hourStart < to - 20 * 3600)).toBe(false);
      expect(Math.max(...recs.map((r) => r.hourStart))).toBe(to - 3600);
      recs.forEach(expectEqualsSim);
    } finally {
      sim.gaps = [];
    }
  });

  it('meter clock off: identify reports the meter clock, hours follow the meter clock', async () => {
    sim.clockOffsetSeconds = -1800;
    try {
      const id = await driver().identify();
      expect(id.meterClock).toBe(nowMs / 1000 - 1800);
      // By the meter's clock (09:50) the 09:00 hour is still open: it is not returned.
      const to = Math.floor(nowMs / 3600_000) * 3600;
      const recs = await driver().readHourly(to - 3 * 3600, to);
      expect(recs.map((r) => r.hourStart)).toEqual([to - 3 * 3600, to - 2 * 3600, to - 3 * 3600, to - 2 * 3600]);
    } finally {
      sim.clockOffsetSeconds = 0;
    }
  });

  for (const kind of ['silent', 'crc', 'wrong-address', 'noise'] as const) {
    it(`fault ${kind}: recovers by a bounded retry when intermittent, typed error when permanent`, async () => {
      const to = Math.floor(nowMs / 3600_000) * 3600;
      faults.rules = [{ kind, every: 2 }];
      try {
        const recs = await driver().readHourly(to - 12 * 3600, to);
        expect(recs).toHaveLength(24);
        recs.forEach(expectEqualsSim);
        faults.rules = [{ kind, every: 1 }];
        const before = server.requests;
        const err = await driver([], 2)
          .readHourly(to - 2 * 3600, to)
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        const want = { silent: 'TRANSPORT_TIMEOUT', crc: 'FRAME_CHECKSUM', 'wrong-address': 'DRIVER_WRONG_ADDRESS', noise: 'FRAME_NOISE' }[kind];
        expect(isGkhError(err, want), String(err)).toBe(true);
        expect((err as { context: { tries: number } }).context.tries).toBe(3);
        expect(server.requests - before).toBe(3);
      } finally {
        faults.rules = [];
      }
    });
  }

  function expectEqualsSim(r: HourlyRecord): void {
    const raw = tsrvRawHour(r.hourStart, r.system);
    expect(r.values).toEqual({
      Q: { value: Number(`${raw.Q}e-3`), unit: 'GJ' },
      M1: { value: Number(`${raw.M1}e-3`), unit: 't' },
      M2: { value: Number(`${raw.M2}e-3`), unit: 't' },
      t1: { value: Number(`${raw.t1}e-2`), unit: '°C' },
      t2: { value: Number(`${raw.t2}e-2`), unit: '°C' },
      t3: { value: Number(`${raw.t3}e-2`), unit: '°C' },
      hoursNormal: { value: Number((raw.hoursNormal! / 3600).toPrecision(12)), unit: 'h' },
      hoursError: { value: Number((raw.hoursError! / 3600).toPrecision(12)), unit: 'h' },
    });
  }
});
