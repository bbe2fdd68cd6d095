/**
 * Карат-307 driver over modbus-serial (FC 3 / FC 16 through our transport): identify (serial, firmware
 * text, clock), readHourly (pointer to the first wanted hour, then "next record" reads until the range
 * ends or the archive has nothing newer), readCurrent (parameter list + current values area).
 * One archive record carries every heat system; each becomes one HourlyRecord with the same raw frame.
 */
import { GkhError } from '../../errors.js';
import type { CurrentReading, HourlyRecord, Measured, MeterDriver, MeterIdentity } from '../types.js';
import { ModbusClient } from '../modbus/client.js';
import type { ModbusArchiveDriverOptions } from '../modbus/archive-options.js';
import { readRaw } from '../modbus/values.js';
import { utcToWall, wallFields, wallFromFields, wallToUtc } from '../modbus/wallclock.js';
import type { KaratArchiveDef } from '../profiles/types.js';
import { decodeParamList, decodeRecord, encodePointer } from './codec.js';

/** Options of one Карат-307 on a bus. */
export type KaratDriverOptions = ModbusArchiveDriverOptions;

/** The Карат current-values area (heatcontrol-carat307: FC 3 at 0x2000, values in parameter-list order). */
const CURRENT_AREA = 0x2000;

export class KaratDriver implements MeterDriver {
  readonly def: KaratArchiveDef;
  readonly client: ModbusClient;
  readonly systems: number[];
  private readonly tz: string;
  private readonly now: () => number;
  private codes: number[] | undefined;

  constructor(readonly o: KaratDriverOptions) {
    if (!o.profile.karatArchive) throw new GkhError('PROFILE_INVALID', `profile ${o.profile.name} has no karatArchive block`, { profile: o.profile.name });
    this.def = o.profile.karatArchive;
    this.client = new ModbusClient(o.session);
    this.tz = o.timeZone ?? 'UTC';
    this.now = o.now ?? Date.now;
    this.systems = o.systems ?? [...new Set(this.def.codes.flatMap((c) => (c.system !== undefined ? [c.system] : [])))].sort();
  }

  private async ascii(name: string, raw: string[]): Promise<string | undefined> {
    const r = this.o.profile.registers?.find((x) => x.name === name);
    if (!r || r.type !== 'ascii') return undefined;
    const rep = await this.client.readRegisters(this.o.address, r.function, r.address, r.length ?? 1);
    raw.push(rep.raw);
    return rep.data.toString('latin1').replace(/\0+$/, '').trim();
  }

  /** Meter clock (FC 3 at 0x0062: s, min, h, D, weekday, M, year u16 LE), as UTC seconds. */
  private async clock(raw: string[]): Promise<number> {
    const rep = await this.client.readRegisters(this.o.address, 3, 0x62, 4);
    raw.push(rep.raw);
    const b = rep.data;
    const year = b.readUInt16LE(6);
    if (b[0]! > 59 || b[1]! > 59 || b[2]! > 23 || b[3]! < 1 || b[3]! > 31 || b[5]! < 1 || b[5]! > 12 || year < 2000)
      throw new GkhError('FRAME_FIELD', `Карат clock bytes ${rep.raw} are not a date`, { raw: rep.raw });
    return wallToUtc(wallFromFields({ year, month: b[5]!, day: b[3]!, hour: b[2]!, minute: b[1]!, second: b[0]! }), this.tz);
  }

  async identify(): Promise<MeterIdentity> {
    const raw: string[] = [];
    const serial = (await this.ascii('serial', raw)) ?? '';
    const firmware = await this.ascii('firmware', raw);
    const meterClock = await this.clock(raw);
    return { serial, manufacturer: this.o.profile.manufacturer, model: this.o.profile.model, firmware, meterClock, rawFrames: raw };
  }

  /** The device's parameter list (cached for the driver's life: it changes only with the device's setup). */
  private async paramList(raw: string[]): Promise<number[]> {
    if (this.codes) return this.codes;
    const rep = await this.client.readRegisters(this.o.address, 3, this.def.paramListRegister, this.def.paramListRegisters);
    raw.push(rep.raw);
    this.codes = decodeParamList(rep.data, this.def);
    if (this.codes.length * 4 + this.def.headerLength > this.def.readRegisters * 2)
      throw new GkhError('FRAME_FIELD', `Карат parameter list of ${this.codes.length} codes does not fit a record of ${this.def.readRegisters} registers`, { codes: this.codes.length });
    return this.codes;
  }

  async readCurrent(): Promise<CurrentReading> {
    const raw: string[] = [];
    const codes = await this.paramList(raw);
    const meterClock = await this.clock(raw);
    const count = Math.min(0x38, Math.ceil((codes.length * 4) / 2));
    const rep = await this.client.readRegisters(this.o.address, 3, CURRENT_AREA, count);
    raw.push(rep.raw);
    const systems = this.systems.map((s) => ({ system: s, values: {} as Record<string, Measured> }));
    codes.forEach((code, i) => {
      const c = this.def.codes.find((x) => x.code === code);
      if (!c?.param || i * 4 + 4 > rep.data.length) return;
      const v = readRaw(rep.data, i * 4, c.type ?? 'float32', this.def.wordOrder, this.def.byteOrder);
      for (const s of systems) if (c.system === undefined || c.system === s.system) s.values[c.param] = { value: c.divisor ? Number((v / c.divisor).toPrecision(12)) : v, unit: c.unit };
    });
    return { readAt: this.now(), meterClock, systems, rawFrames: raw };
  }

  async readHourly(fromHour: number, toHour: number, onProgress?: (done: number, total: number) => void): Promise<HourlyRecord[]> {
    if (fromHour % 3600 !== 0 || toHour % 3600 !== 0) throw new GkhError('DRIVER_REQUEST', `readHourly needs whole hours, got ${fromHour}…${toHour}`, { fromHour, toHour });
    const out: HourlyRecord[] = [];
    if (toHour <= fromHour) return out;
    const total = (toHour - fromHour) / 3600;
    const raw: string[] = [];
    const codes = await this.paramList(raw);
    const marks = this.def.timestamp.marks === 'start' ? 0 : 3600;
    const point = async (hour: number) => {
      await this.client.writeRegisters(this.o.address, this.def.pointerRegister, encodePointer(wallFields(utcToWall(hour + marks, this.tz))));
      return this.def.hourArea;
    };
    let area = await point(fromHour);
    let next = fromHour;
    while (next < toHour) {
      const rep = await this.client.readRegisters(this.o.address, 3, area, this.def.readRegisters);
      if (rep.tries > 1 && area !== this.def.hourArea) {
        // "Next record" moves the meter's cursor even when its reply is lost: after a retry the record
        // received may be one past the wanted one. Point at the wanted hour again instead of guessing.
        area = await point(next);
        continue;
      }
      area = this.def.hourArea + this.def.nextOffset;
      const rec = decodeRecord(rep.data, codes, this.def, this.systems);
      if (!rec.date) break; // nothing at or after the pointer: the newest closed hour was passed
      if (rec.date.minute !== 0) throw new GkhError('FRAME_FIELD', `Карат hour record stamped at minute ${rec.date.minute}`, { got: rec.date });
      const hourStart = wallToUtc(wallFromFields(rec.date), this.tz) - marks;
      if (hourStart < next) {
        // The meter went back (should not): never a record twice; stop rather than loop.
        throw new GkhError('FRAME_FIELD', `Карат returned hour ${new Date(hourStart * 1000).toISOString()} after ${new Date((next - 3600) * 1000).toISOString()}`, { expected: next, got: hourStart });
      }
      if (hourStart >= toHour) {
        for (let h = next; h < toHour; h += 3600) for (const s of this.systems) this.o.onGap?.(s, h);
        next = toHour;
        break;
      }
      for (let h = next; h < hourStart; h += 3600) for (const s of this.systems) this.o.onGap?.(s, h);
      const readAt = this.now();
      const flags = rec.flags.filter((x) => x !== 0).map((x) => `NS:0x${x.toString(16).padStart(8, '0')}`);
      for (const s of this.systems) out.push({ meterId: this.o.meterId, system: s, hourStart, values: rec.systems.get(s) ?? {}, flags, source: 'archive', rawFrames: [rep.raw], readAt });
      next = hourStart + 3600;
      onProgress?.((next - fromHour) / 3600, total);
    }
    return out;
  }
}
