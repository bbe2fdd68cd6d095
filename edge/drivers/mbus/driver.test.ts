import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isGkhError } from '../../errors.js';
import { openTransport } from '../transport/index.js';
import { socatPair, type PtyPair } from '../transport/socat.js';
import type { Transport } from '../types.js';
import { CUMULATIVE_KEYS, MbusDriver, mbusSession } from './driver.js';
import { snapshot } from './meter-model.js';
import { SimBus, serveSerial, type SimEndpoint } from './simulator.js';
import { wallClock, zonedToUtc } from './tz.js';

describe('meter clock time zones', () => {
  it('converts local wall time to UTC and back, across DST', () => {
    expect(new Date(zonedToUtc('2026-11-28T10:30:00', 'Europe/Moscow')).toISOString()).toBe('2026-11-28T07:30:00.000Z');
    expect(new Date(zonedToUtc('2026-07-01T12:00:00', 'Europe/Berlin')).toISOString()).toBe('2026-07-01T10:00:00.000Z');
    expect(wallClock(Date.UTC(2026, 0, 1, 22, 0), 'Asia/Yekaterinburg').toISOString()).toBe('2026-01-02T03:00:00.000Z');
  });
});

describe('MbusDriver against the simulator over a socat pty (bus config → openTransport)', () => {
  let pair: PtyPair;
  let sim: SimEndpoint;
  let transport: Transport;
  let now = Date.UTC(2026, 10, 28, 7, 0, 0);
  beforeAll(async () => {
    pair = await socatPair();
    sim = await serveSerial(new SimBus({ now: () => now, meters: [{ address: 12, id: '20260001', manufacturer: 'OGK', timeZone: 'Europe/Moscow', volumeOffsetM3: 1000 }] }), pair.b);
    transport = openTransport({ id: 'mbus1', type: 'serial', path: pair.a, baudRate: 2400, parity: 'even', dataBits: 8, stopBits: 1, timeoutMs: 500, interByteTimeoutMs: 100, guardTimeMs: 0, retries: 1 });
    await transport.open();
  });
  afterAll(async () => {
    await transport?.close();
    await sim?.close();
    await pair?.close();
  });
  const bus = { id: 'mbus1', type: 'serial' as const, path: '', baudRate: 2400, parity: 'even' as const, dataBits: 8 as const, stopBits: 1 as const, timeoutMs: 500, interByteTimeoutMs: 100, guardTimeMs: 0, retries: 1 };

  it('identifies the meter, with its clock converted from Moscow wall time', async () => {
    const d = new MbusDriver(mbusSession(transport, bus), { meterId: 'm1', address: 12, timeZone: 'Europe/Moscow' });
    const id = await d.identify();
    expect(id).toMatchObject({ serial: '20260001', manufacturer: 'OGK', model: 'OGK v1 Heat: Outlet', meterClock: now / 1000 });
    expect(id.rawFrames.length).toBe(2);
    expect(id.rawFrames[0]).toMatch(/^68 ([0-9a-f]{2}) \1 68 08 0c 72 01 00 26 20/);
  });

  it('reads cumulative registers that advance with simulated time, by primary and by secondary address', async () => {
    const byPrimary = new MbusDriver(mbusSession(transport, bus), { meterId: 'm1', address: 12, timeZone: 'Europe/Moscow', now: () => now });
    const a = await byPrimary.readCurrent();
    const s = snapshot(now, { volumeOffsetM3: 1000 });
    const v = a.systems[0]!.values;
    expect(a.systems.map((x) => x.system)).toEqual([1]);
    expect(v.Q).toEqual({ value: Number(`${s.energy10Wh}e-2`), unit: 'kWh' });
    expect(v.V1).toEqual({ value: Number(`${s.volumeL}e-3`), unit: 'm³' });
    expect(v.t1).toEqual({ value: Number(`${s.t1c}e-2`), unit: '°C' });
    expect(v.t2).toEqual({ value: Number(`${s.t2c}e-2`), unit: '°C' });
    expect(v.G1?.unit).toBe('m³/h');
    expect(v.hoursNormal).toEqual({ value: s.hours, unit: 'h' });
    expect(a.meterClock).toBe(now / 1000);
    for (const k of CUMULATIVE_KEYS.filter((k) => v[k])) expect(typeof v[k]!.value).toBe('number');
    now += 3_600_000;
    const bySecondary = new MbusDriver(mbusSession(transport, bus), { meterId: 'm1', address: '20260001', timeZone: 'Europe/Moscow', now: () => now });
    const b = await bySecondary.readCurrent();
    expect(b.systems[0]!.values.Q!.value).toBeGreaterThan(v.Q!.value);
    expect(b.systems[0]!.values.V1!.value).toBeGreaterThan(v.V1!.value);
    expect(b.meterClock).toBe(now / 1000);
  });

  it('has no hourly archive', async () => {
    const d = new MbusDriver(mbusSession(transport, bus), { meterId: 'm1', address: 12 });
    await expect(d.readHourly(0, 3600)).rejects.toSatisfy((e: unknown) => isGkhError(e, 'DRIVER_NO_ARCHIVE'));
    expect(() => new MbusDriver(mbusSession(transport, bus), { meterId: 'bad', address: 251 })).toThrow(/0-250/);
  });
});
