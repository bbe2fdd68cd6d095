/** Options shared by the Modbus RTU archive drivers (ВЗЛЁТ ТСРВ-034, Карат-307). */
import type { DeviceProfile } from '../profiles/types.js';
import type { RtuSession } from './session.js';

/** One archive meter on an RS-485 bus. */
export interface ModbusArchiveDriverOptions {
  meterId: string;
  /** Modbus address 1…247. */
  address: number;
  profile: DeviceProfile;
  session: RtuSession;
  /** Zone of the meter's wall clock (the site's zone, config timeZone). Default UTC. */
  timeZone?: string;
  /** Heat systems to read (default: every system the profile's archive names). */
  systems?: number[];
  /** Gateway clock, unix ms (tests inject). */
  now?: () => number;
  /** Called for each hour the meter's archive does not hold (skipped, not invented). */
  onGap?: (system: number, hourStart: number) => void;
}
