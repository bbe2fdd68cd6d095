/**
 * Builds the MeterDriver of a configured meter on its bus's transport: protocol → driver class, profile
 * by name (defaults per protocol), bus timing and retry bound from the bus config, the site's time zone
 * for meters that keep local time. M-Bus meters are built by edge/drivers/mbus.
 */
import { GkhError } from '../../errors.js';
import type { BusConfig, MeterConfig } from '../../config/types.js';
import type { MeterDriver, Transport } from '../types.js';
import { IecDriver } from '../iec62056/driver.js';
import { KaratDriver } from '../karat/driver.js';
import { ModbusProfileDriver } from '../modbus/driver.js';
import { RtuSession } from '../modbus/session.js';
import { TsrvDriver } from '../tsrv/driver.js';
import { MbusDriver, mbusSession } from '../mbus/index.js';
import { loadProfile } from './index.js';

/** Profile used when a meter of this protocol names none. */
export const DEFAULT_PROFILE: Partial<Record<MeterConfig['protocol'], string>> = { tsrv: 'vzljot-tsrv-034', karat: 'karat-307', iec62056: 'landis-uh50' };

/** Extra context of a driver: the site's zone, the gateway clock, a gap callback. */
export interface DriverContext {
  timeZone: string;
  now?: () => number;
  onGap?: (system: number, hourStart: number) => void;
}

/** The driver of `meter` on `transport` (the transport of `bus`, not necessarily open yet). */
export function createMeterDriver(meter: MeterConfig, bus: BusConfig, transport: Transport, ctx: DriverContext): MeterDriver {
  if (meter.protocol === 'mbus') return new MbusDriver(mbusSession(transport, bus), { meterId: meter.id, address: meter.address ?? 0, timeZone: ctx.timeZone, now: ctx.now });
  const profileName = meter.profile ?? DEFAULT_PROFILE[meter.protocol];
  if (!profileName) throw new GkhError('CONFIG_INVALID', `meter ${meter.id}: protocol "${meter.protocol}" needs a profile`, { meterId: meter.id });
  const profile = loadProfile(profileName);
  const systems = meter.heatSystems.length > 0 ? meter.heatSystems.map((h) => h.system) : undefined;
  if (meter.protocol === 'iec62056')
    return new IecDriver({ meterId: meter.id, profile, transport, address: typeof meter.address === 'string' ? meter.address : undefined, retries: bus.retries, now: ctx.now });
  const address = typeof meter.address === 'number' ? meter.address : 1;
  if (address < 1 || address > 247) throw new GkhError('CONFIG_INVALID', `meter ${meter.id}: Modbus address must be 1-247, got ${address}`, { meterId: meter.id, address });
  const session = new RtuSession(transport, { timeoutMs: bus.timeoutMs, interByteTimeoutMs: bus.interByteTimeoutMs, guardTimeMs: bus.guardTimeMs, retries: bus.retries });
  const common = { meterId: meter.id, address, profile, session, now: ctx.now };
  switch (meter.protocol) {
    case 'tsrv':
      return new TsrvDriver({ ...common, timeZone: ctx.timeZone, systems, onGap: ctx.onGap });
    case 'karat':
      return new KaratDriver({ ...common, timeZone: ctx.timeZone, systems, onGap: ctx.onGap });
    case 'modbus':
      return new ModbusProfileDriver(common);
  }
}
