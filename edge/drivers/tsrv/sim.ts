/**
 * Simulated Взлёт ТСРВ-034: FC 0x11 identification, FC 0x41 hourly archive by date or index with
 * values from the simulated substation (../sim/archive.ts), FC 3 serial number and clock registers.
 * Archive faults: hours missing (gap), meter clock off by N seconds. Layout from the device profile.
 */
import { BY_DATE, decodeArchiveRequest, encodeArchiveRecord } from './codec.js';
import { lastClosedHour, simHour } from '../sim/archive.js';
import type { RtuDevice } from '../sim/rtu-server.js';
import { utcToWall, wallFromFields, wallToUtc } from '../modbus/wallclock.js';
import type { DeviceProfile, TsrvArchiveDef } from '../profiles/types.js';
import type { HourlyParam } from '../types.js';

/** Options of the simulated ТСРВ. */
export interface TsrvSimOptions {
  profile: DeviceProfile;
  /** Modbus address, default 1. */
  address?: number;
  /** The simulation clock, unix ms (inject a fast clock for the demo). Default Date.now. */
  now?: () => number;
  /** Factory number, default 340123. */
  serial?: number;
  /** Zone of the meter's wall clock, default UTC. */
  timeZone?: string;
  /** Archive depth, hours (default 1488 = 62 days, the ТСРВ-034 hourly archive is deeper; enough for tests). */
  depthHours?: number;
  /** Pseudo-random seed of the values. */
  seed?: number;
  /** Meter clock minus true time, s (fault "meter clock off"). */
  clockOffsetSeconds?: number;
  /** Hours (meter-clock hour starts, UTC-counted) missing from the archive (fault "archive gap"): [from, to). */
  gaps?: [number, number][];
}

/** Raw stored integers of one hour, by the profile's fields (what the meter keeps). */
export function tsrvRawHour(hourStart: number, system: number, seed = 1): Partial<Record<HourlyParam, number>> {
  const h = simHour(hourStart, system, seed);
  return {
    Q: Math.round(h.qGJ * 1000),
    M1: Math.round(h.m1 * 1000),
    M2: Math.round(h.m2 * 1000),
    t1: Math.round(h.t1 * 100),
    t2: Math.round(h.t2 * 100),
    t3: Math.round(h.t3 * 100),
    hoursNormal: h.runSeconds,
    hoursError: 3600 - h.runSeconds,
  };
}

export class TsrvSimulator implements RtuDevice {
  readonly address: number;
  readonly def: TsrvArchiveDef;
  now: () => number;
  clockOffsetSeconds: number;
  gaps: [number, number][];
  private readonly o: TsrvSimOptions;

  constructor(o: TsrvSimOptions) {
    if (!o.profile.tsrvArchive) throw new Error(`profile ${o.profile.name} has no tsrvArchive`);
    this.o = o;
    this.def = o.profile.tsrvArchive;
    this.address = o.address ?? 1;
    this.now = o.now ?? Date.now;
    this.clockOffsetSeconds = o.clockOffsetSeconds ?? 0;
    this.gaps = o.gaps ?? [];
  }

  /**
   * Fault "supply runs cold": °C to take off T1 of an hour (e.g. hot water cold at night, for a regime
   * violation in the demo). Heat is reduced with it (Q = M·c·ΔT), so the record stays consistent.
   */
  temperatureDip: ((hourStart: number, system: number) => number) | undefined;

  /** Raw stored integers of an hour, with the temperature-dip fault applied. */
  private rawHour(hourStart: number, system: number): Partial<Record<HourlyParam, number>> {
    const raw = tsrvRawHour(hourStart, system, this.o.seed);
    const dip = this.temperatureDip?.(hourStart, system) ?? 0;
    if (dip > 0 && raw.t1 !== undefined && raw.Q !== undefined && raw.M1 !== undefined) {
      raw.t1 -= Math.round(dip * 100);
      // Q in MJ, M1 in kg: ΔQ = M1/1000 t × 4.1868 MJ/(t·K) × dip K.
      raw.Q = Math.max(0, raw.Q - Math.round((raw.M1 / 1000) * 4.1868 * dip));
    }
    return raw;
  }

  get timeZone(): string {
    return this.o.timeZone ?? 'UTC';
  }

  /** The meter's clock, unix ms (true time + offset). */
  meterNowMs(): number {
    return this.now() + this.clockOffsetSeconds * 1000;
  }

  /** Hour starts (UTC) held in the archive of any system, oldest first. */
  archiveHours(): number[] {
    const newest = lastClosedHour(this.meterNowMs());
    const depth = this.o.depthHours ?? 1488;
    const out: number[] = [];
    for (let h = newest - (depth - 1) * 3600; h <= newest; h += 3600) if (!this.gaps.some(([a, b]) => h >= a && h < b)) out.push(h);
    return out;
  }

  /** Raw integers the archive holds for (hour, system), or undefined when the hour is not in it. */
  rawRecord(hourStart: number, system: number): Partial<Record<HourlyParam, number>> | undefined {
    return this.archiveHours().includes(hourStart) ? this.rawHour(hourStart, system) : undefined;
  }

  /** The record's time field: meter wall-clock seconds, per the profile's marks. */
  private stamp(hourStart: number): number {
    const wall = this.def.timestamp.clock === 'meter-local' ? utcToWall(hourStart, this.timeZone) : hourStart;
    return wall + (this.def.timestamp.marks === 'start' ? 0 : this.def.timestamp.marks === 'end' ? 3600 : 3599);
  }

  handle(fc: number, p: Buffer): Buffer | undefined {
    if (fc === this.def.identifyFunction) {
      const text = Buffer.from('TSRV-034 VZLJOT 63.01.03.07', 'latin1');
      return Buffer.concat([Buffer.from([fc, text.length]), text]);
    }
    if (fc === this.def.function) return this.archive(fc, p);
    if (fc === 3) return this.registers(p);
    return Buffer.from([fc | 0x80, 1]);
  }

  private archive(fc: number, p: Buffer): Buffer {
    let req;
    try {
      req = decodeArchiveRequest(p);
    } catch {
      return Buffer.from([fc | 0x80, 3]);
    }
    const sys = this.def.hourArchives.find((a) => a.number === req.archive);
    if (!sys) return Buffer.from([fc | 0x80, 2]);
    if (req.count < 1 || req.count * this.def.recordLength > 250) return Buffer.from([fc | 0x80, 3]);
    const hours = this.archiveHours();
    let first: number;
    if (req.type === BY_DATE) {
      const d = req.date!;
      const wall = wallFromFields(d);
      // The record holding that time: the hour that contains it, on the meter's clock.
      const wantWallHour = Math.floor(wall / 3600) * 3600;
      const wantUtc = this.def.timestamp.clock === 'meter-local' ? wallToUtc(wantWallHour, this.timeZone) : wantWallHour;
      first = hours.findIndex((h) => h >= wantUtc);
      if (first < 0) return Buffer.from([fc | 0x80, 3]); // not yet in the archive (Matrix driver: "возможно, еще не собраны")
    } else {
      first = req.index ?? 0;
      if (first >= hours.length) return Buffer.from([fc | 0x80, 3]);
    }
    const recs = hours.slice(first, first + req.count).map((h) => encodeArchiveRecord(this.stamp(h), this.rawHour(h, sys.system), this.def));
    const data = Buffer.concat(recs);
    return Buffer.concat([Buffer.from([fc, data.length]), data]);
  }

  private registers(p: Buffer): Buffer {
    if (p.length !== 4) return Buffer.from([0x83, 3]);
    const start = p.readUInt16BE(0);
    const count = p.readUInt16BE(2);
    const regs = new Map<number, number>();
    const serial = this.o.serial ?? 340123;
    regs.set(32768, serial >>> 16).set(32769, serial & 0xffff);
    const clock = Math.floor(this.meterNowMs() / 1000);
    const wall = this.def.timestamp.clock === 'meter-local' ? utcToWall(clock, this.timeZone) : clock;
    regs.set(32784, wall >>> 16).set(32785, wall & 0xffff);
    regs.set(83, 0).set(84, 0).set(85, 0);
    const data = Buffer.alloc(count * 2);
    for (let i = 0; i < count; i++) {
      const v = regs.get(start + i);
      if (v === undefined) return Buffer.from([0x83, 2]);
      data.writeUInt16BE(v, i * 2);
    }
    return Buffer.concat([Buffer.from([3, data.length]), data]);
  }
}
