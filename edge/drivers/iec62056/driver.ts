/**
 * IEC 62056-21 mode C readout through an optical head, and the meter driver on top of it.
 * Sequence (§6.4.3, mode C): [NUL wake-up for battery meters, about 2.2 s at 300 baud] → `/?addr!` at
 * 300 7E1 → identification → `ACK 0 Z 0` → both sides switch to the baud of Z → data message
 * STX … ETX BCC → back to 300 baud. One full sequence per try; bounded retries.
 */
import { GkhError, isGkhError } from '../../errors.js';
import { toHex, type CurrentReading, type HourlyRecord, type Measured, type MeterDriver, type MeterIdentity, type Transport } from '../types.js';
import type { DeviceProfile } from '../profiles/types.js';
import { ackOptionSelect, baudCode, dataMessageLength, decodeDataMessage, lineLength, parseDataSets, parseIdentification, signOn, type DataSet, type Identification } from './codec.js';

/** Global-timer sleep (fake timers in unit tests drive it; node:timers/promises is not faked). */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Timing of a readout (defaults from IEC 62056-21 §6.3.14 and battery-meter practice). */
export interface IecOptions {
  /** Device address in the sign-on (default none). */
  address?: string;
  /** NUL wake-up length, ms (default 2200; 0 = none, for mains-powered meters). */
  wakeUpMs?: number;
  /** Wanted readout baud (default the profile's readoutBaudRate, else 300); the lower of it and the meter's offer is used. */
  readoutBaudRate?: number;
  /** Wait for the identification, ms (the meter answers within 1500 ms, §6.3.14 tr). */
  identTimeoutMs?: number;
  /** Wait for the whole data message, ms (default 20000). */
  readoutTimeoutMs?: number;
  /** Largest silence inside a message, ms (§6.3.14 ta: 1500 ms). */
  interCharMs?: number;
  /** Retries of the whole sequence (default 2). */
  retries?: number;
}

/** A verified readout. */
export interface Readout {
  ident: Identification;
  baudRate: number;
  dataSets: DataSet[];
  rawFrames: string[];
}

/** Runs one complete mode C data readout over `t` (serial at 300 7E1, or TCP where the converter sets the line). */
export async function readout(t: Transport, o: IecOptions = {}): Promise<Readout> {
  const retries = o.retries ?? 2;
  let last: unknown;
  let tries = 0;
  while (tries <= retries) {
    tries++;
    try {
      return await readoutOnce(t, o);
    } catch (e) {
      last = e;
      // The meter falls back to 300 baud and waits for a new sign-on after an error (§6.4.3: timeout ta).
      if (t.setBaudRate) await t.setBaudRate(300).catch(() => undefined);
      if (!(isGkhError(e, 'TRANSPORT_TIMEOUT') || isGkhError(e, 'FRAME_'))) break;
      await sleep(o.interCharMs ?? 1500);
    }
  }
  if (isGkhError(last)) throw new GkhError(last.code, `${last.message} (${tries} ${tries === 1 ? 'try' : 'tries'}; ${t.description})`, { ...last.context, tries }, { cause: last });
  throw last;
}

async function readoutOnce(t: Transport, o: IecOptions): Promise<Readout> {
  if (!t.isOpen) await t.open();
  if (t.setBaudRate) await t.setBaudRate(300);
  t.discardInput();
  const wake = o.wakeUpMs ?? 2200;
  if (wake > 0) {
    // 300 baud 7E1 = 10 bits per character: 30 NULs per second. On a real line the write itself takes `wake` ms.
    const t0 = Date.now();
    await t.write(Buffer.alloc(Math.ceil((wake / 1000) * 30), 0));
    const left = wake - (Date.now() - t0);
    if (left > 0) await sleep(left);
    t.discardInput();
  }
  const raw: string[] = [];
  await t.write(signOn(o.address));
  const identBytes = await t.read({ timeoutMs: o.identTimeoutMs ?? 1500, interByteTimeoutMs: o.interCharMs ?? 1500, frameLength: (b) => identLength(b) });
  raw.push(toHex(identBytes));
  const ident = parseIdentification(identBytes.subarray(identBytes.indexOf(0x2f)));
  const want = o.readoutBaudRate ?? 300;
  const offered = ident.baudRate ?? 300;
  const baud = t.setBaudRate ? Math.min(want, offered) : 300;
  await t.write(ackOptionSelect(baudCode(baud)));
  // §6.4.3: the meter switches after it received the acknowledgement; so do we, once ours has left. serialport's
  // update() flushes both directions (tcflush TCIOFLUSH), and on a pty or USB adapter drain can return before the
  // peer took the bytes: wait a little more, well inside the meter's reaction time (tr ≥ 200 ms, §6.3.14).
  if (t.setBaudRate && baud !== 300) {
    await sleep(50);
    await t.setBaudRate(baud);
  }
  const msg = await t.read({ timeoutMs: o.readoutTimeoutMs ?? 20_000, interByteTimeoutMs: o.interCharMs ?? 1500, frameLength: dataMessageLength });
  raw.push(toHex(msg));
  const data = decodeDataMessage(msg.subarray(Math.max(0, msg.indexOf(0x02))));
  if (t.setBaudRate && baud !== 300) await t.setBaudRate(300);
  return { ident, baudRate: baud, dataSets: parseDataSets(data), rawFrames: raw };
}

/** Identification framing: a line ending in LF, starting at '/'; bytes before '/' (echo, noise) are skipped by the caller. */
function identLength(b: Buffer): number | undefined {
  const n = lineLength(b);
  if (n === undefined) return undefined;
  if (b.indexOf(0x2f) < 0 || b.indexOf(0x2f) >= n)
    throw new GkhError('FRAME_NOISE', `a line without '/' where the identification was expected: ${toHex(b.subarray(0, n))}`, { byte: 0, partial: toHex(b.subarray(0, n)) });
  return n;
}

/** Driver options. */
export interface IecDriverOptions extends IecOptions {
  meterId: string;
  profile: DeviceProfile;
  transport: Transport;
  now?: () => number;
}

/** A heat meter read by mode C data readout, mapped through the profile's iecReadout list. */
export class IecDriver implements MeterDriver {
  private readonly now: () => number;

  constructor(readonly o: IecDriverOptions) {
    if (!o.profile.iecReadout) throw new GkhError('PROFILE_INVALID', `profile ${o.profile.name} has no iecReadout block`, { profile: o.profile.name });
    this.now = o.now ?? Date.now;
  }

  private read(): Promise<Readout> {
    return readout(this.o.transport, { readoutBaudRate: this.o.profile.line.readoutBaudRate, ...this.o });
  }

  async identify(): Promise<MeterIdentity> {
    const r = await this.read();
    const serialDef = this.o.profile.iecReadout!.find((d) => d.role === 'serial');
    const serial = serialDef ? (r.dataSets.find((d) => d.address === serialDef.id)?.parts[0]?.value ?? '') : '';
    return { serial, manufacturer: r.ident.manufacturer, model: r.ident.identification, rawFrames: r.rawFrames };
  }

  async readCurrent(): Promise<CurrentReading> {
    const r = await this.read();
    const bySystem = new Map<number, Record<string, Measured>>();
    for (const d of this.o.profile.iecReadout!) {
      if (d.role === 'serial') continue;
      const ds = r.dataSets.find((x) => x.address === d.id);
      if (!ds) continue;
      const keys = d.key.split('/');
      if (ds.parts.length !== keys.length) throw new GkhError('FRAME_FIELD', `readout ${d.id}(${ds.raw}): ${ds.parts.length} values, the profile expects ${keys.length}`, { id: d.id, expected: keys.length, got: ds.parts.length });
      const vals = bySystem.get(d.system) ?? {};
      ds.parts.forEach((p, i) => {
        if ((p.unit ?? '') !== d.unit) throw new GkhError('FRAME_FIELD', `readout ${d.id}: unit "${p.unit ?? ''}", the profile expects "${d.unit}"`, { id: d.id, expected: d.unit, got: p.unit });
        if (!/^-?\d+(\.\d+)?$/.test(p.value)) throw new GkhError('FRAME_FIELD', `readout ${d.id}: "${p.value}" is not a number`, { id: d.id, got: p.value });
        vals[keys[i]!] = { value: Number(p.value), unit: unitName(d.unit) };
      });
      bySystem.set(d.system, vals);
    }
    return { readAt: this.now(), systems: [...bySystem].map(([system, values]) => ({ system, values })), rawFrames: r.rawFrames };
  }

  /** Mode C data readout carries no hourly archive: the poll layer integrates cumulative registers (source `integrated`). */
  readHourly(): Promise<HourlyRecord[]> {
    return Promise.reject(new GkhError('DRIVER_NO_ARCHIVE', `${this.o.profile.model}: the IEC 62056-21 data readout has no hourly archive; hourly values come from cumulative registers read at hour boundaries`, { profile: this.o.profile.name }));
  }
}

/**
 * Readout unit strings as the meter sends them (ASCII: `m3`, `m3ph`, `C`) → the unit names every
 * other driver reports (`m³`, `m³/h`, `°C`), so records from all meters compare and report alike.
 */
const UNIT_NAMES: Readonly<Record<string, string>> = { m3: 'm³', m3ph: 'm³/h', 'm3/h': 'm³/h', C: '°C', K: 'K', MWh: 'MWh', kWh: 'kWh', GJ: 'GJ', Gcal: 'Gcal', kW: 'kW', h: 'h', bar: 'bar', MPa: 'MPa' };

export function unitName(wire: string): string {
  return UNIT_NAMES[wire] ?? wire;
}
