/**
 * Generic Modbus RTU meter from a device profile's register map (FC 3/4 through modbus-serial): identify
 * from the serial/clock registers, readCurrent from the `current` registers. Such meters keep no hourly
 * archive on the wire: readHourly throws DRIVER_NO_ARCHIVE and the poll layer integrates cumulative
 * registers at hour boundaries (source `integrated`).
 */
import { GkhError } from '../../errors.js';
import type { CurrentReading, HourlyRecord, Measured, MeterDriver, MeterIdentity } from '../types.js';
import type { DeviceProfile, RegisterDef } from '../profiles/types.js';
import { ModbusClient } from './client.js';
import type { RtuSession } from './session.js';
import { readRaw, scale, sizeOf } from './values.js';

export interface ModbusDriverOptions {
  meterId: string;
  address: number;
  profile: DeviceProfile;
  session: RtuSession;
  now?: () => number;
}

export class ModbusProfileDriver implements MeterDriver {
  readonly client: ModbusClient;
  private readonly now: () => number;

  constructor(readonly o: ModbusDriverOptions) {
    if (!o.profile.registers?.length) throw new GkhError('PROFILE_INVALID', `profile ${o.profile.name} has no registers`, { profile: o.profile.name });
    this.client = new ModbusClient(o.session);
    this.now = o.now ?? Date.now;
  }

  /** Reads one register definition: its value (number or text) and the raw reply. */
  async readRegister(r: RegisterDef): Promise<{ value: number | string; raw: string }> {
    const words = r.type === 'ascii' ? (r.length ?? 1) : sizeOf(r.type) / 2;
    const rep = await this.client.readRegisters(this.o.address, r.function, r.address, words);
    if (r.type === 'ascii') return { value: rep.data.toString('latin1').replace(/\0+$/, '').trim(), raw: rep.raw };
    return { value: scale(readRaw(rep.data, 0, r.type, r.wordOrder, r.byteOrder), r), raw: rep.raw };
  }

  async identify(): Promise<MeterIdentity> {
    const raw: string[] = [];
    let serial = '';
    let meterClock: number | undefined;
    for (const r of this.o.profile.registers!) {
      if (r.role === 'serial') {
        const x = await this.readRegister(r);
        raw.push(x.raw);
        serial = String(x.value);
      } else if (r.role === 'clock') {
        const x = await this.readRegister(r);
        raw.push(x.raw);
        meterClock = Number(x.value);
      }
    }
    return { serial, manufacturer: this.o.profile.manufacturer, model: this.o.profile.model, meterClock, rawFrames: raw };
  }

  async readCurrent(): Promise<CurrentReading> {
    const raw: string[] = [];
    const systems = new Map<number, Record<string, Measured>>();
    for (const r of this.o.profile.registers!) {
      if (r.role !== 'current' || r.type === 'ascii') continue;
      const x = await this.readRegister(r);
      raw.push(x.raw);
      const vals = systems.get(r.system) ?? {};
      vals[r.name] = { value: Number(x.value), unit: r.unit };
      systems.set(r.system, vals);
    }
    return { readAt: this.now(), systems: [...systems].map(([system, values]) => ({ system, values })), rawFrames: raw };
  }

  readHourly(): Promise<HourlyRecord[]> {
    return Promise.reject(new GkhError('DRIVER_NO_ARCHIVE', `${this.o.profile.model} over generic Modbus has no hourly archive; hourly values come from cumulative registers read at hour boundaries`, { profile: this.o.profile.name }));
  }
}
