/**
 * Карат-307 archive layout on standard Modbus registers (profile karat-307, sources there): the archive
 * pointer (h, D, M, Y-2000), the archive record (header with the record date, then one 4-byte value per
 * entry of the device's parameter list) and the parameter list itself. Pure codec over register bytes.
 */
import { GkhError } from '../../errors.js';
import type { HourlyParam, Measured } from '../types.js';
import { readRaw, writeRaw } from '../modbus/values.js';
import type { KaratArchiveDef, KaratCode } from '../profiles/types.js';

/** Wall-clock hour as the Карат counts it. */
export interface KaratHour {
  year: number;
  month: number;
  day: number;
  hour: number;
}

/** The 4 bytes (2 registers) written by FC 16 to the archive pointer: h, D, M, Y-2000. */
export function encodePointer(h: KaratHour): Buffer {
  if (h.year < 2000 || h.year > 2255) throw new GkhError('DRIVER_REQUEST', `Карат archive pointer year ${h.year} outside 2000…2255`, { year: h.year });
  return Buffer.from([h.hour, h.day, h.month, h.year - 2000]);
}

/** Parses pointer bytes (simulator side); FRAME_FIELD names a byte out of range. */
export function decodePointer(b: Buffer): KaratHour {
  if (b.length !== 4) throw new GkhError('FRAME_LENGTH', `Карат archive pointer of ${b.length} bytes, expected 4`, { byte: b.length, expected: 4, got: b.length });
  const [hour, day, month, y] = [b[0]!, b[1]!, b[2]!, b[3]!];
  if (hour > 23) throw new GkhError('FRAME_FIELD', `pointer hour ${hour} at byte 0`, { byte: 0, got: hour });
  if (day < 1 || day > 31) throw new GkhError('FRAME_FIELD', `pointer day ${day} at byte 1`, { byte: 1, got: day });
  if (month < 1 || month > 12) throw new GkhError('FRAME_FIELD', `pointer month ${month} at byte 2`, { byte: 2, got: month });
  return { hour, day, month, year: 2000 + y };
}

/** Codes of the parameter list (FC 3 reply data): from byte `paramListSkip`, 0 skipped, a byte ≥ 0xF0 ends it. */
export function decodeParamList(data: Buffer, def: KaratArchiveDef): number[] {
  const out: number[] = [];
  for (let i = def.paramListSkip; i < data.length; i++) {
    const c = data[i]!;
    if (c >= 0xf0) break;
    if (c !== 0) out.push(c);
  }
  return out;
}

/** Parameter-list bytes for `codes` (simulator): skip bytes = count, then codes, then 0xFF, zero-padded to `registers`. */
export function encodeParamList(codes: number[], def: KaratArchiveDef): Buffer {
  const b = Buffer.alloc(def.paramListRegisters * 2);
  b.fill(codes.length, 0, def.paramListSkip);
  Buffer.from(codes).copy(b, def.paramListSkip);
  b[def.paramListSkip + codes.length] = 0xff;
  return b;
}

/** One archive record: its date (wall clock; undefined = "no record" 0xFF), values per system, flags. */
export interface KaratRecord {
  date?: KaratHour & { minute: number };
  /** Values by heat system. */
  systems: Map<number, Partial<Record<HourlyParam, Measured>>>;
  /** НС bit sets by code. */
  flags: number[];
}

/** How a code is read: its profile entry or undefined for a code the profile does not map (value skipped). */
function codeDef(def: KaratArchiveDef, code: number): KaratCode | undefined {
  return def.codes.find((c) => c.code === code);
}

/**
 * Decodes an archive record (FC 3 reply data of `readRegisters` registers) given the parameter list.
 * `systems` lists the heat systems the meter has (codes without a system apply to each).
 */
export function decodeRecord(data: Buffer, codes: number[], def: KaratArchiveDef, systems: number[]): KaratRecord {
  if (data.length < def.headerLength) throw new GkhError('FRAME_TRUNCATED', `Карат record of ${data.length} bytes, header alone is ${def.headerLength}`, { byte: data.length, expected: def.headerLength });
  const d = data.subarray(def.dateOffset, def.dateOffset + 5);
  const rec: KaratRecord = { systems: new Map(), flags: [] };
  if (d[0] === 0xff && d[4] === 0xff) return rec; // no record near the wanted date (prizmer-karat30x: "Мануал стр. 38")
  const [minute, hour, day, month, y] = [d[0]!, d[1]!, d[2]!, d[3]!, d[4]!];
  if (minute > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12)
    throw new GkhError('FRAME_FIELD', `Карат record date ${[minute, hour, day, month, y].join(',')} at bytes ${def.dateOffset}…${def.dateOffset + 4} is not a date`, { byte: def.dateOffset, got: [minute, hour, day, month, y] });
  rec.date = { minute, hour, day, month, year: 2000 + y };
  for (const s of systems) rec.systems.set(s, {});
  codes.forEach((code, i) => {
    const off = def.headerLength + i * 4;
    const c = codeDef(def, code);
    if (!c) return;
    const raw = readRaw(data, off, c.type ?? 'float32', def.wordOrder, def.byteOrder);
    if (c.flags) {
      rec.flags.push(raw);
      return;
    }
    const value = c.divisor !== undefined ? Number((raw / c.divisor).toPrecision(12)) : raw;
    for (const s of c.system !== undefined ? [c.system] : systems) {
      const vals = rec.systems.get(s);
      if (vals && c.param) vals[c.param] = { value, unit: c.unit };
    }
  });
  return rec;
}

/** Encodes a record (simulator): date, then raw values per code in list order (float32 or uint32 as the profile says). */
export function encodeRecord(date: (KaratHour & { minute: number }) | undefined, codes: number[], raw: Map<number, number>, def: KaratArchiveDef): Buffer {
  const b = Buffer.alloc(def.readRegisters * 2);
  if (!date) {
    b.fill(0xff, def.dateOffset, def.dateOffset + 5);
    return b;
  }
  Buffer.from([date.minute, date.hour, date.day, date.month, date.year - 2000]).copy(b, def.dateOffset);
  codes.forEach((code, i) => {
    const c = codeDef(def, code);
    writeRaw(raw.get(code) ?? 0, c?.type ?? 'float32', def.wordOrder, def.byteOrder).copy(b, def.headerLength + i * 4);
  });
  return b;
}
