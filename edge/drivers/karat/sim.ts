/**
 * Simulated Карат-307 on Modbus RTU: FC 16 to the archive pointer, FC 3 reads of the hour area (the record
 * at the pointer) and area + nextOffset (the record after the last one read), the parameter list, current
 * values, serial/firmware text and the clock. Values from ../sim/archive.ts as little-endian floats.
 * Faults: archive gap, meter clock off (line faults come from the RtuServer's FaultInjector).
 */
import { lastClosedHour, simHour, WATER_C } from '../sim/archive.js';
import type { RtuDevice } from '../sim/rtu-server.js';
import { utcToWall, wallFields, wallFromFields, wallToUtc } from '../modbus/wallclock.js';
import type { DeviceProfile, KaratArchiveDef } from '../profiles/types.js';
import { decodePointer, encodeParamList, encodeRecord } from './codec.js';

export interface KaratSimOptions {
  profile: DeviceProfile;
  address?: number;
  now?: () => number;
  /** Zone of the meter's wall clock, default UTC. */
  timeZone?: string;
  serial?: string;
  depthHours?: number;
  seed?: number;
  clockOffsetSeconds?: number;
  /** Missing hours [from, to) (UTC hour starts on the meter's clock). */
  gaps?: [number, number][];
}

/** Rounds to `digits` decimals then to float32: what the meter stores. */
function f32(x: number, digits: number): number {
  return Math.fround(Number(x.toFixed(digits)));
}

/** Raw values by parameter code of one hour (both heat systems), as the meter stores them. */
export function karatRawHour(hourStart: number, seed = 1): Map<number, number> {
  const a = simHour(hourStart, 1, seed);
  const b = simHour(hourStart, 2, seed);
  const gcal = (gj: number) => gj / WATER_C; // 1 Gcal = 4.1868 GJ
  return new Map<number, number>([
    [0x51, f32(gcal(a.qGJ), 6)],
    [0x52, f32(gcal(b.qGJ), 6)],
    [0x21, f32(a.m1, 4)],
    [0x22, f32(a.m2, 4)],
    [0x23, f32(b.m1, 4)],
    [0x24, f32(b.m2, 4)],
    [0x11, f32(a.m1 / a.rho, 4)],
    [0x12, f32(a.m2 / a.rho, 4)],
    [0x31, f32(a.t1, 2)],
    [0x32, f32(a.t2, 2)],
    [0x33, f32(b.t1, 2)],
    [0x34, f32(b.t2, 2)],
    [0x41, f32(a.p1, 3)],
    [0x42, f32(a.p2, 3)],
    [0xb0, Math.floor(Math.min(a.runSeconds, b.runSeconds) / 60)],
    [0xc0, a.runSeconds < 3600 || b.runSeconds < 3600 ? 0x100 : 0],
  ]);
}

export class KaratSimulator implements RtuDevice {
  readonly address: number;
  readonly def: KaratArchiveDef;
  readonly codes: number[];
  now: () => number;
  clockOffsetSeconds: number;
  gaps: [number, number][];
  /** Index into archiveHours() of the record last served (pointer/next). */
  private cursorHour: number | undefined;

  constructor(private readonly o: KaratSimOptions) {
    if (!o.profile.karatArchive) throw new Error(`profile ${o.profile.name} has no karatArchive`);
    this.def = o.profile.karatArchive;
    this.codes = this.def.codes.map((c) => c.code);
    this.address = o.address ?? 1;
    this.now = o.now ?? Date.now;
    this.clockOffsetSeconds = o.clockOffsetSeconds ?? 0;
    this.gaps = o.gaps ?? [];
  }

  private get tz(): string {
    return this.o.timeZone ?? 'UTC';
  }

  meterNowMs(): number {
    return this.now() + this.clockOffsetSeconds * 1000;
  }

  private held(h: number): boolean {
    const newest = lastClosedHour(this.meterNowMs());
    const oldest = newest - ((this.o.depthHours ?? 1488) - 1) * 3600;
    return h >= oldest && h <= newest && !this.gaps.some(([a, b]) => h >= a && h < b);
  }

  /** First held hour ≥ h, or undefined. */
  private firstFrom(h: number): number | undefined {
    const newest = lastClosedHour(this.meterNowMs());
    const oldest = newest - ((this.o.depthHours ?? 1488) - 1) * 3600;
    for (let x = Math.max(h, oldest); x <= newest; x += 3600) if (this.held(x)) return x;
    return undefined;
  }

  private record(h: number | undefined): Buffer {
    if (h === undefined) return encodeRecord(undefined, this.codes, new Map(), this.def);
    const marks = this.def.timestamp.marks === 'start' ? 0 : 3600;
    const f = wallFields(utcToWall(h + marks, this.tz));
    return encodeRecord({ minute: 0, hour: f.hour, day: f.day, month: f.month, year: f.year }, this.codes, karatRawHour(h, this.o.seed), this.def);
  }

  handle(fc: number, p: Buffer): Buffer | undefined {
    if (fc === 0x10) return this.write(p);
    if (fc !== 0x03) return Buffer.from([fc | 0x80, 1]);
    const start = p.readUInt16BE(0);
    const count = p.readUInt16BE(2);
    const d = this.def;
    let data: Buffer;
    if (start === d.hourArea && count === d.readRegisters) data = this.record(this.cursorHour);
    else if (start === d.hourArea + d.nextOffset && count === d.readRegisters) {
      this.cursorHour = this.cursorHour === undefined ? undefined : this.firstFrom(this.cursorHour + 3600);
      data = this.record(this.cursorHour);
    } else if (start === d.paramListRegister && count === d.paramListRegisters) data = encodeParamList(this.codes, d);
    else if (start === 0x2000 && count <= 0x38) {
      data = this.record(lastClosedHour(this.meterNowMs())).subarray(d.headerLength, d.headerLength + count * 2);
    } else if (start === 68 && count === 16) data = Buffer.alloc(32, 0).fill(Buffer.from(this.o.serial ?? '307004711', 'latin1'), 0, (this.o.serial ?? '307004711').length);
    else if (start === 84 && count === 8) data = Buffer.alloc(16, 0).fill(Buffer.from('K307 v2.5', 'latin1'), 0, 9);
    else if (start === 0x62 && count === 4) {
      const f = wallFields(utcToWall(Math.floor(this.meterNowMs() / 1000), this.tz));
      data = Buffer.from([f.second, f.minute, f.hour, f.day, new Date(Date.UTC(f.year, f.month - 1, f.day)).getUTCDay(), f.month, f.year & 0xff, f.year >> 8]);
    } else return Buffer.from([0x83, 2]);
    return Buffer.concat([Buffer.from([3, data.length]), data]);
  }

  private write(p: Buffer): Buffer {
    if (p.length < 5) return Buffer.from([0x90, 3]);
    const start = p.readUInt16BE(0);
    const n = p.readUInt16BE(2);
    if (start !== this.def.pointerRegister || n !== 2 || p[4] !== 4) return Buffer.from([0x90, 2]);
    let ptr;
    try {
      ptr = decodePointer(p.subarray(5, 9));
    } catch {
      return Buffer.from([0x90, 3]);
    }
    const wantUtc = wallToUtc(wallFromFields({ ...ptr, minute: 0 }), this.tz) - (this.def.timestamp.marks === 'start' ? 0 : 3600);
    this.cursorHour = this.firstFrom(wantUtc);
    return Buffer.concat([Buffer.from([0x10]), p.subarray(0, 4)]);
  }
}
