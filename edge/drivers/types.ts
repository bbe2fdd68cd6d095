/**
 * The contracts every transport and meter driver meets (DESIGN.md "Drivers"). Protocol codecs are pure
 * (bytes in, typed frames out); sessions run request/response over a Transport; a MeterDriver turns a
 * session into identify / readCurrent / readHourly with units and the raw frames each value came from.
 */

/** Options of one `Transport.read`. */
export interface ReadOptions {
  /** Give up when no complete reply arrived within this many ms of the call (TRANSPORT_TIMEOUT). */
  timeoutMs: number;
  /** A reply ends after this much silence once at least one byte arrived (Modbus RTU framing). */
  interByteTimeoutMs?: number;
  /**
   * Framing: given the bytes so far, the length of the complete frame once it is known
   * (e.g. M-Bus long frame: 4 + L + 2), or undefined while more bytes are needed.
   */
  frameLength?: (buf: Buffer) => number | undefined;
}

/**
 * A byte pipe to one bus: a serial port (serialport) or a raw TCP socket to an RS-485-to-Ethernet
 * converter. One transaction at a time is the caller's job (edge/poll keeps one queue per bus).
 */
export interface Transport {
  /** For logs and errors, e.g. `/dev/ttyUSB0 2400 8E1` or `tcp 192.0.2.10:4001`. */
  readonly description: string;
  readonly isOpen: boolean;
  open(): Promise<void>;
  /** Writes and resolves once the bytes left the process (drain). */
  write(data: Uint8Array): Promise<void>;
  /** Reads one reply frame (see ReadOptions). */
  read(opts: ReadOptions): Promise<Buffer>;
  /** Drops bytes received but not read (stale replies, line noise) before a new request. */
  discardInput(): void;
  /** Serial only: switch the line speed (IEC 62056-21 mode C baud switch). */
  setBaudRate?(baudRate: number): Promise<void>;
  close(): Promise<void>;
}

/** Names of hourly parameters (DESIGN.md "Records, units, time"). */
export type HourlyParam =
  | 'Q' // heat for the hour (Gcal, GJ, MWh or kWh as the meter reports)
  | 'M1' | 'M2' // mass for the hour, t
  | 'V1' | 'V2' // volume for the hour, m³
  | 't1' | 't2' | 't3' // mean temperatures of the hour, °C
  | 'P1' | 'P2' // mean pressures of the hour, MPa
  | 'tOutdoor' // outdoor temperature, °C
  | 'hoursNormal' // normal-operation time within the hour, h
  | 'hoursError'; // error (НС) time within the hour, h

/** A value as the meter reported it: never re-rounded. Build decimals exactly, e.g. `Number(`${mantissa}e${exponent}`)`. */
export interface Measured {
  value: number;
  unit: string;
}

/** One closed hour of one heat system. */
export interface HourlyRecord {
  meterId: string;
  /** Heat system number (ТС1 = 1 …). */
  system: number;
  /** Unix seconds, UTC start of the hour. */
  hourStart: number;
  values: Partial<Record<HourlyParam, Measured>>;
  /** НС / error flags the meter reported for the hour (driver-specific codes, e.g. `NS:dt<min`). */
  flags: string[];
  /** `archive`: the meter's own hourly archive; `integrated`: derived from cumulative registers at hour boundaries. */
  source: 'archive' | 'integrated';
  /** Raw frames the record came from, hex bytes separated by spaces, as received. */
  rawFrames: string[];
  /** Unix ms, gateway clock, when read. */
  readAt: number;
}

/** What `identify()` answers. */
export interface MeterIdentity {
  serial: string;
  manufacturer?: string;
  model: string;
  firmware?: string;
  /** Meter clock when asked, unix seconds (undefined when the meter has no readable clock). */
  meterClock?: number;
  rawFrames: string[];
}

/** Current (instantaneous and cumulative) values, for the status page. Keys e.g. `Q`, `V1`, `t1`, `G1` (flow). */
export interface CurrentReading {
  /** Unix ms, gateway clock. */
  readAt: number;
  meterClock?: number;
  systems: { system: number; values: Record<string, Measured> }[];
  rawFrames: string[];
}

/** Every meter driver answers these three (DESIGN.md). */
export interface MeterDriver {
  identify(): Promise<MeterIdentity>;
  readCurrent(): Promise<CurrentReading>;
  /**
   * Closed hours with hourStart in [fromHour, toHour) (unix seconds, multiples of 3600), oldest first,
   * every heat system of the meter. Drivers of meters without an hourly archive throw DRIVER_NO_ARCHIVE.
   */
  readHourly(fromHour: number, toHour: number, onProgress?: (done: number, total: number) => void): Promise<HourlyRecord[]>;
}

/** Hex with spaces, the form raw frames are kept in (`68 1f 1f 68 …`). */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex').replace(/(..)(?!$)/g, '$1 ');
}

/** Parses hex with optional spaces/newlines into bytes; throws on odd length or a non-hex character. */
export function fromHex(s: string): Buffer {
  const clean = s.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error('not a hex byte string');
  return Buffer.from(clean, 'hex');
}
