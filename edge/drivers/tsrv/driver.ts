/**
 * Взлёт ТСРВ driver: identify (FC 0x11 + serial/clock registers via modbus-serial), readHourly from the
 * meter's own hourly archive (FC 0x41 by date, several records per request, one heat system after the
 * other), readCurrent = meter clock + the newest closed hour of each system (the ТСРВ's instantaneous
 * registers are not in a public source). Hours the meter does not hold are reported as gaps, never invented.
 */
import { GkhError, isGkhError } from '../../errors.js';
import type { CurrentReading, HourlyRecord, MeterDriver, MeterIdentity } from '../types.js';
import { ModbusClient } from '../modbus/client.js';
import type { ModbusArchiveDriverOptions } from '../modbus/archive-options.js';
import { readRaw } from '../modbus/values.js';
import { utcToWall, wallFields, wallToUtc } from '../modbus/wallclock.js';
import type { RegisterDef, TsrvArchiveDef } from '../profiles/types.js';
import { BY_DATE, decodeArchiveData, decodeIdentification, encodeArchiveRequest } from './codec.js';

/** Options of one ТСРВ on a bus. */
export type TsrvDriverOptions = ModbusArchiveDriverOptions;

export class TsrvDriver implements MeterDriver {
  readonly def: TsrvArchiveDef;
  readonly client: ModbusClient;
  private readonly tz: string;
  private readonly now: () => number;

  constructor(readonly o: TsrvDriverOptions) {
    if (!o.profile.tsrvArchive) throw new GkhError('PROFILE_INVALID', `profile ${o.profile.name} has no tsrvArchive block`, { profile: o.profile.name });
    this.def = o.profile.tsrvArchive;
    this.client = new ModbusClient(o.session);
    this.tz = o.timeZone ?? 'UTC';
    this.now = o.now ?? Date.now;
  }

  private reg(role: RegisterDef['role']): RegisterDef | undefined {
    return this.o.profile.registers?.find((r) => r.role === role);
  }

  /** Meter wall-clock seconds → UTC per the profile. */
  private toUtc(sec: number): number {
    return this.def.timestamp.clock === 'meter-local' ? wallToUtc(sec, this.tz) : sec;
  }

  private async readClock(raw: string[]): Promise<number | undefined> {
    const r = this.reg('clock');
    if (!r || r.type === 'ascii') return undefined;
    const rep = await this.client.readRegisters(this.o.address, r.function, r.address, 2);
    raw.push(rep.raw);
    return this.toUtc(readRaw(rep.data, 0, r.type, r.wordOrder, r.byteOrder));
  }

  async identify(): Promise<MeterIdentity> {
    const raw: string[] = [];
    const id = await this.o.session.transact(this.o.address, this.def.identifyFunction, Buffer.alloc(0));
    raw.push(id.raw);
    const ident = decodeIdentification(id.data);
    let serial = '';
    const s = this.reg('serial');
    if (s && s.type !== 'ascii') {
      const rep = await this.client.readRegisters(this.o.address, s.function, s.address, Math.ceil(sizeOfReg(s) / 2));
      raw.push(rep.raw);
      serial = String(readRaw(rep.data, 0, s.type, s.wordOrder, s.byteOrder));
    }
    const meterClock = await this.readClock(raw);
    return { serial, manufacturer: this.o.profile.manufacturer, model: this.o.profile.model, firmware: ident.version ?? ident.text, meterClock, rawFrames: raw };
  }

  async readCurrent(): Promise<CurrentReading> {
    const raw: string[] = [];
    const meterClock = await this.readClock(raw);
    const last = Math.floor(((meterClock ?? this.now() / 1000) - 3600) / 3600) * 3600;
    const recs = await this.readHourly(last, last + 3600);
    return {
      readAt: this.now(),
      meterClock,
      systems: recs.map((r) => ({ system: r.system, values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, v])) })),
      rawFrames: [...raw, ...recs.flatMap((r) => r.rawFrames)],
    };
  }

  /**
   * Hours [fromHour, toHour) of every system, oldest first per system. Reads by date, up to
   * maxRecordsPerRequest records per request; stops a system at exception 3 (hour not yet closed).
   */
  async readHourly(fromHour: number, toHour: number, onProgress?: (done: number, total: number) => void): Promise<HourlyRecord[]> {
    if (fromHour % 3600 !== 0 || toHour % 3600 !== 0) throw new GkhError('DRIVER_REQUEST', `readHourly needs whole hours, got ${fromHour}…${toHour}`, { fromHour, toHour });
    const archives = this.def.hourArchives.filter((a) => !this.o.systems || this.o.systems.includes(a.system));
    const perSystem = Math.max(0, (toHour - fromHour) / 3600);
    const total = perSystem * archives.length;
    let done = 0;
    const out: HourlyRecord[] = [];
    for (const a of archives) {
      let cursor = fromHour;
      while (cursor < toHour) {
        const count = Math.min(this.def.maxRecordsPerRequest, (toHour - cursor) / 3600);
        const wall = this.def.timestamp.clock === 'meter-local' ? utcToWall(cursor, this.tz) : cursor;
        const f = wallFields(wall);
        const payload = encodeArchiveRequest({ archive: a.number, count, type: BY_DATE, date: { ...f, minute: 0, second: 0 } });
        let ex;
        try {
          ex = await this.o.session.transact(this.o.address, this.def.function, payload, (r) => {
            if (r.data.length === 0 || r.data.length % this.def.recordLength !== 0)
              throw new GkhError('FRAME_LENGTH', `ТСРВ archive reply of ${r.data.length} data bytes is not whole ${this.def.recordLength}-byte records`, { byte: 3, expected: this.def.recordLength, got: r.data.length });
          });
        } catch (e) {
          // Exception 3 to a by-date request: the hour is not in the archive yet (Matrix TSRV034 GetHours).
          if (isGkhError(e, 'DRIVER_MODBUS_EXCEPTION') && e.context.exception === 3) break;
          throw e;
        }
        const readAt = this.now();
        let next = cursor;
        for (const rec of decodeArchiveData(ex.data, this.def)) {
          if (rec.time === 0) continue;
          const stampUtc = this.toUtc(rec.time);
          const hourStart = stampUtc - (this.def.timestamp.marks === 'start' ? 0 : this.def.timestamp.marks === 'end' ? 3600 : 3599);
          if (hourStart % 3600 !== 0)
            throw new GkhError('FRAME_FIELD', `ТСРВ record time ${rec.time} is not the ${this.def.timestamp.marks} of an hour`, { expected: this.def.timestamp.marks, got: rec.time });
          // Only hours not read yet and inside the range: never an older record twice, never a later one outside.
          if (hourStart < next || hourStart >= toHour) continue;
          for (let h = next; h < hourStart; h += 3600) this.o.onGap?.(a.system, h);
          out.push({ meterId: this.o.meterId, system: a.system, hourStart, values: rec.values, flags: flagsOf(rec.values), source: 'archive', rawFrames: [ex.raw], readAt });
          next = hourStart + 3600;
        }
        if (next === cursor) {
          // Nothing new in range: the meter holds no hour in [cursor, cursor+count) (or only later ones beyond toHour).
          const end = Math.min(toHour, cursor + count * 3600);
          for (let h = cursor; h < end; h += 3600) this.o.onGap?.(a.system, h);
          next = end;
        }
        done += (next - cursor) / 3600;
        onProgress?.(Math.min(done, total), total);
        cursor = next;
      }
      done = Math.max(done, perSystem * (archives.indexOf(a) + 1));
    }
    return out;
  }
}

function sizeOfReg(r: RegisterDef): number {
  return r.type === 'ascii' ? (r.length ?? 1) * 2 : r.type === 'int16' || r.type === 'uint16' ? 2 : r.type === 'float64' ? 8 : 4;
}

/** НС flags of a ТСРВ hour: idle (error) time within the hour. */
function flagsOf(values: HourlyRecord['values']): string[] {
  const e = values.hoursError?.value ?? 0;
  return e > 0 ? ['NS:idle'] : [];
}
