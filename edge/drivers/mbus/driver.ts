/**
 * The M-Bus MeterDriver. Plain M-Bus heat meters have no hourly archive: `readHourly` throws
 * DRIVER_NO_ARCHIVE, and `readCurrent` exposes the cumulative registers (energy, volume, mass, operating
 * hours) plus temperatures, flows and the meter clock, so the runtime derives `integrated` hourly records
 * at hour boundaries. Heat system = subunit + 1 (EN 13757-3 DIFE subunit bit).
 */
import type { BusConfig } from '../../config/types.js';
import { GkhError } from '../../errors.js';
import type { CurrentReading, HourlyRecord, Measured, MeterDriver, MeterIdentity, Transport } from '../types.js';
import { parseSecondary, type SecondaryAddress } from './header.js';
import { type MbusRecord } from './records.js';
import { MbusSession, type ReadResult, type SessionOptions } from './session.js';
import { zonedToUtc } from './tz.js';

/** Keys of `readCurrent` values that are cumulative registers (hourly values are their differences). */
export const CUMULATIVE_KEYS: readonly string[] = ['Q', 'V1', 'V2', 'M1', 'M2', 'hoursNormal'];

/** Options of one M-Bus meter. */
export interface MbusDriverOptions {
  /** Meter id in the gateway config. */
  meterId: string;
  /** Primary address 0–250, or a secondary address string (8 digits, optionally + manufacturer, version, medium). */
  address: number | string;
  /** IANA zone of the meter's clock (M-Bus time points are local wall time) ["UTC"]. */
  timeZone?: string;
  /** Gateway clock, unix ms [Date.now]. */
  now?: () => number;
}

/** Shifts a decimal by a power of ten without binary rounding (Wh → kWh: -3). */
function shift(v: number, exp: number): number {
  const [m, e] = v.toExponential().split('e');
  return Number(`${m}e${Number(e) + exp}`);
}

/** Maps one record to a reading key and a value in the project's units (kWh/GJ, m³, t, m³/h, °C, K, MPa, kW, h). */
function mapRecord(r: MbusRecord): { key: string; m: Measured } | undefined {
  if (typeof r.value !== 'number') return undefined;
  const v = r.value;
  switch (`${r.quantity}|${r.unit}`) {
    case 'Energy|Wh':
      return { key: 'Q', m: { value: shift(v, -3), unit: 'kWh' } };
    case 'Energy|J':
      return { key: 'Q', m: { value: shift(v, -9), unit: 'GJ' } };
    case 'Volume|m³':
      return { key: 'V', m: { value: v, unit: 'm³' } };
    case 'Mass|kg':
      return { key: 'M', m: { value: shift(v, -3), unit: 't' } };
    case 'Volume flow|m³/h':
      return { key: 'G', m: { value: v, unit: 'm³/h' } };
    case 'Flow temperature|°C':
      return { key: 't1', m: { value: v, unit: '°C' } };
    case 'Return temperature|°C':
      return { key: 't2', m: { value: v, unit: '°C' } };
    case 'External temperature|°C':
      return { key: 'tOutdoor', m: { value: v, unit: '°C' } };
    case 'Temperature difference|K':
      return { key: 'dt', m: { value: v, unit: 'K' } };
    case 'Pressure|bar':
      return { key: 'P', m: { value: shift(v, -1), unit: 'MPa' } };
    case 'Power|W':
      return { key: 'power', m: { value: shift(v, -3), unit: 'kW' } };
    case 'Operating time|s':
      return { key: 'hoursNormal', m: { value: v / 3600, unit: 'h' } };
    case 'Error flags|':
      return { key: 'errorFlags', m: { value: v, unit: '' } };
    default:
      return undefined;
  }
}

/** True for a plain current register: instantaneous, storage 0, tariff 0, and no combinable VIFE that changes its meaning. */
function isCurrent(r: MbusRecord): boolean {
  const ext = r.vif === 0xfd || r.vif === 0xfb ? 1 : 0;
  return r.function === 'Instantaneous value' && r.storage === 0 && r.tariff === 0 && r.vife.length === ext;
}

/** An M-Bus meter on a session (the session may be shared by all meters of the bus). */
export class MbusDriver implements MeterDriver {
  private readonly target: number | SecondaryAddress;
  private readonly tz: string;
  private readonly now: () => number;

  constructor(
    private readonly session: MbusSession,
    private readonly o: MbusDriverOptions,
  ) {
    this.target = typeof o.address === 'number' ? o.address : parseSecondary(o.address);
    if (typeof this.target === 'number' && (!Number.isInteger(this.target) || this.target < 0 || this.target > 250))
      throw new GkhError('CONFIG_INVALID', `meter ${o.meterId}: M-Bus primary address must be 0-250, got ${o.address}`, { meterId: o.meterId, address: o.address });
    this.tz = o.timeZone ?? 'UTC';
    this.now = o.now ?? Date.now;
  }

  private async read(): Promise<ReadResult> {
    return this.session.readAll(this.target);
  }

  private clock(records: MbusRecord[]): number | undefined {
    const r = records.find((x) => x.quantity === 'Time point (date & time)' && x.storage === 0 && typeof x.value === 'string' && isCurrent(x));
    if (!r) return undefined;
    const ms = zonedToUtc(r.value as string, this.tz);
    return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
  }

  /** Serial number, manufacturer, model (manufacturer, version, medium), firmware (VIF FD 0E) and meter clock. */
  async identify(): Promise<MeterIdentity> {
    const r = await this.read();
    const t = r.telegrams[0]!;
    const records = r.telegrams.flatMap((x) => x.records);
    const fw = records.find((x) => x.quantity === 'Firmware version' || x.quantity === 'Software version');
    const h = t.header;
    const out: MeterIdentity = {
      serial: h.id ?? String(records.find((x) => x.quantity === 'Fabrication No')?.value ?? ''),
      model: `${h.manufacturer ?? '?'} v${h.version ?? '?'} ${h.mediumName ?? ''}`.trim(),
      rawFrames: r.rawFrames,
    };
    if (h.manufacturer) out.manufacturer = h.manufacturer;
    if (fw && fw.value !== null) out.firmware = String(fw.value);
    const clock = this.clock(records);
    if (clock !== undefined) out.meterClock = clock;
    return out;
  }

  /**
   * Current registers per heat system: Q (kWh or GJ, cumulative), V1/V2 (m³, cumulative), M1/M2 (t,
   * cumulative), G1/G2 (m³/h), t1, t2, tOutdoor (°C), dt (K), P1/P2 (MPa), power (kW), hoursNormal (h,
   * cumulative), errorFlags. A second register of the same kind in one system becomes …2 (V2, G2, P2).
   */
  async readCurrent(): Promise<CurrentReading> {
    const r = await this.read();
    const readAt = this.now();
    const records = r.telegrams.flatMap((x) => x.records);
    const systems = new Map<number, Record<string, Measured>>();
    for (const rec of records) {
      if (!isCurrent(rec)) continue;
      const m = mapRecord(rec);
      if (!m) continue;
      const sys = rec.subunit + 1;
      const vals = systems.get(sys) ?? {};
      systems.set(sys, vals);
      const numbered = ['V', 'M', 'G', 'P'].includes(m.key);
      let key = numbered ? `${m.key}1` : m.key;
      if (vals[key] !== undefined) {
        if (!numbered) continue; // keep the first register of a kind
        key = `${m.key}2`;
        if (vals[key] !== undefined) continue;
      }
      vals[key] = m.m;
    }
    const out: CurrentReading = {
      readAt,
      systems: [...systems.entries()].sort((a, b) => a[0] - b[0]).map(([system, values]) => ({ system, values })),
      rawFrames: r.rawFrames,
    };
    const clock = this.clock(records);
    if (clock !== undefined) out.meterClock = clock;
    return out;
  }

  /** Plain M-Bus meters keep no hourly archive: always DRIVER_NO_ARCHIVE (the runtime integrates readCurrent). */
  readHourly(_fromHour: number, _toHour: number): Promise<HourlyRecord[]> {
    return Promise.reject(
      new GkhError('DRIVER_NO_ARCHIVE', `meter ${this.o.meterId}: M-Bus meters have no hourly archive; hourly values are integrated from current registers / нет часового архива`, {
        meterId: this.o.meterId,
      }),
    );
  }
}

/** A session with a bus's timing from the config (timeoutMs, interByteTimeoutMs, retries, guardTimeMs). */
export function mbusSession(transport: Transport, bus: BusConfig, extra: Omit<SessionOptions, 'timeoutMs' | 'interByteTimeoutMs' | 'retries' | 'guardTimeMs'> = {}): MbusSession {
  return new MbusSession(transport, { timeoutMs: bus.timeoutMs, interByteTimeoutMs: bus.interByteTimeoutMs, retries: bus.retries, guardTimeMs: bus.guardTimeMs, ...extra });
}
