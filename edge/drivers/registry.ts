/**
 * From a meter's config to its driver: the protocol picks the codec and session, the profile (JSON data
 * in edge/drivers/profiles) the device's layout. Per-bus timing (timeouts, inter-byte silence, retries)
 * comes from the bus config; the guard time between transactions is kept by edge/poll's BusQueue.
 */
import type { Clock } from '../clock.js';
import type { BusConfig, MeterConfig } from '../config/index.js';
import { GkhError } from '../errors.js';
import { IecDriver } from './iec62056/driver.js';
import { KaratDriver } from './karat/driver.js';
import { MbusDriver } from './mbus/driver.js';
import { MbusSession } from './mbus/session.js';
import { ModbusProfileDriver } from './modbus/driver.js';
import { RtuSession } from './modbus/session.js';
import { loadProfile } from './profiles/index.js';
import { TsrvDriver } from './tsrv/driver.js';
import type { MeterDriver, Transport } from './types.js';

/** Profile used when a meter names none. */
export const DEFAULT_PROFILES: Partial<Record<MeterConfig['protocol'], string>> = {
  tsrv: 'vzljot-tsrv-034',
  karat: 'karat-307',
  iec62056: 'landis-gyr-uh50',
};

function numericAddress(m: MeterConfig, dflt: number): number {
  if (m.address === undefined) return dflt;
  if (typeof m.address !== 'number') throw new GkhError('CONFIG_INVALID', `meter ${m.id}: protocol ${m.protocol} needs a numeric address, got "${m.address}"`, { meterId: m.id });
  return m.address;
}

/** The driver of `meter` over `transport` (its bus's). Throws CONFIG_INVALID / PROFILE_* with the meter named. */
export function createDriver(meter: MeterConfig, transport: Transport, ctx: { bus: BusConfig; clock: Clock; timeZone?: string }): MeterDriver {
  const now = () => ctx.clock.now();
  const timing = { timeoutMs: ctx.bus.timeoutMs, interByteTimeoutMs: ctx.bus.interByteTimeoutMs, retries: ctx.bus.retries, guardTimeMs: 0 };
  const systems = meter.heatSystems.map((h) => h.system);
  const profileName = meter.profile ?? DEFAULT_PROFILES[meter.protocol];
  const profile = () => {
    if (!profileName) throw new GkhError('CONFIG_INVALID', `meter ${meter.id}: protocol ${meter.protocol} needs "profile"`, { meterId: meter.id });
    return loadProfile(profileName);
  };
  switch (meter.protocol) {
    case 'mbus':
      return new MbusDriver(new MbusSession(transport, timing), { meterId: meter.id, address: meter.address ?? 0, timeZone: ctx.timeZone, now });
    case 'tsrv':
      return new TsrvDriver({ meterId: meter.id, address: numericAddress(meter, 1), profile: profile(), session: new RtuSession(transport, timing), timeZone: ctx.timeZone, systems, now });
    case 'karat':
      return new KaratDriver({ meterId: meter.id, address: numericAddress(meter, 1), profile: profile(), session: new RtuSession(transport, timing), timeZone: ctx.timeZone, systems, now });
    case 'modbus':
      return new ModbusProfileDriver({ meterId: meter.id, address: numericAddress(meter, 1), profile: profile(), session: new RtuSession(transport, timing), now });
    case 'iec62056':
      return new IecDriver({ meterId: meter.id, profile: profile(), transport, now, ...(typeof meter.address === 'string' ? { address: meter.address } : {}) });
  }
}
