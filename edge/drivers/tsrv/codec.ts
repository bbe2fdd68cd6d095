/**
 * Взлёт ТСРВ vendor functions on Modbus RTU framing (layout: profile vzljot-tsrv-034, sources there):
 * FC 0x11 identification (ASCII "VZLJOT aa.bb.cc.dd"), FC 0x41 archive read by date or index.
 * Pure codec: payloads in and out; the RTU frame (address, CRC) is ../modbus/rtu.ts.
 */
import { GkhError } from '../../errors.js';
import type { HourlyParam, Measured } from '../types.js';
import { readRaw, scale, writeRaw } from '../modbus/values.js';
import type { TsrvArchiveDef } from '../profiles/types.js';

/** FC 0x41 request type byte. */
export const BY_INDEX = 0;
export const BY_DATE = 1;

/** Calendar date as the meter counts it (wall clock), year 2000…2255. */
export interface MeterDate {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** An FC 0x41 request. */
export interface ArchiveRequest {
  archive: number;
  count: number;
  type: typeof BY_INDEX | typeof BY_DATE;
  /** BY_DATE: the wanted time. */
  date?: MeterDate;
  /** BY_INDEX: the record index (u16). */
  index?: number;
}

/** FC 0x41 payload: archive u16 BE, count u16 BE, type, then date s m h D M Y-2000 or index u16 BE. */
export function encodeArchiveRequest(r: ArchiveRequest): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt16BE(r.archive, 0);
  head.writeUInt16BE(r.count, 2);
  head[4] = r.type;
  if (r.type === BY_DATE) {
    const d = r.date;
    if (!d || d.year < 2000 || d.year > 2255) throw new GkhError('DRIVER_REQUEST', `ТСРВ archive request by date needs a year 2000…2255`, { date: d });
    return Buffer.concat([head, Buffer.from([d.second, d.minute, d.hour, d.day, d.month, d.year - 2000])]);
  }
  const idx = Buffer.alloc(2);
  idx.writeUInt16BE(r.index ?? 0, 0);
  return Buffer.concat([head, idx]);
}

/** Parses an FC 0x41 request payload (simulator side). Throws FRAME_LENGTH / FRAME_FIELD naming the byte. */
export function decodeArchiveRequest(p: Buffer): ArchiveRequest {
  if (p.length < 5) throw new GkhError('FRAME_LENGTH', `ТСРВ 0x41 request payload of ${p.length} bytes, at least 5`, { byte: p.length });
  const archive = p.readUInt16BE(0);
  const count = p.readUInt16BE(2);
  const type = p[4]!;
  if (type === BY_DATE) {
    if (p.length !== 11) throw new GkhError('FRAME_LENGTH', `ТСРВ 0x41 by-date payload of ${p.length} bytes, expected 11`, { byte: p.length, expected: 11, got: p.length });
    return { archive, count, type, date: { second: p[5]!, minute: p[6]!, hour: p[7]!, day: p[8]!, month: p[9]!, year: 2000 + p[10]! } };
  }
  if (type === BY_INDEX) {
    if (p.length !== 7) throw new GkhError('FRAME_LENGTH', `ТСРВ 0x41 by-index payload of ${p.length} bytes, expected 7`, { byte: p.length, expected: 7, got: p.length });
    return { archive, count, type, index: p.readUInt16BE(5) };
  }
  throw new GkhError('FRAME_FIELD', `ТСРВ 0x41 request type ${type} at byte 4: expected 0 (index) or 1 (date)`, { byte: 4, got: type });
}

/** One archive record as read: its time (meter seconds), decoded values, the record bytes. */
export interface TsrvRecord {
  /** Seconds as the record carries them (wall clock when the profile says meter-local). */
  time: number;
  values: Partial<Record<HourlyParam, Measured>>;
  bytes: Buffer;
}

/**
 * Splits FC 0x41 reply data into records and decodes each by the profile's fields.
 * A record of all-zero time is "no record" (the Matrix driver ignores it): returned as time 0.
 */
export function decodeArchiveData(data: Buffer, def: TsrvArchiveDef): TsrvRecord[] {
  if (data.length % def.recordLength !== 0)
    throw new GkhError('FRAME_LENGTH', `ТСРВ archive data of ${data.length} bytes is not a whole number of ${def.recordLength}-byte records`, { byte: data.length - (data.length % def.recordLength), expected: def.recordLength, got: data.length });
  const out: TsrvRecord[] = [];
  for (let off = 0; off < data.length; off += def.recordLength) {
    const rec = data.subarray(off, off + def.recordLength);
    const time = readRaw(rec, def.timestamp.offset, 'uint32', def.byteOrder, def.byteOrder);
    const values: Partial<Record<HourlyParam, Measured>> = {};
    for (const f of def.fields) values[f.param] = { value: scale(readRaw(rec, f.offset, f.type, def.byteOrder, def.byteOrder), f), unit: f.unit };
    out.push({ time, values, bytes: Buffer.from(rec) });
  }
  return out;
}

/** Encodes one record from raw field values (integers as stored; simulator and round-trip tests). */
export function encodeArchiveRecord(time: number, raw: Partial<Record<HourlyParam, number>>, def: TsrvArchiveDef): Buffer {
  const rec = Buffer.alloc(def.recordLength);
  writeRaw(time, 'uint32', def.byteOrder, def.byteOrder).copy(rec, def.timestamp.offset);
  for (const f of def.fields) {
    const v = raw[f.param];
    if (v !== undefined) writeRaw(v, f.type, def.byteOrder, def.byteOrder).copy(rec, f.offset);
  }
  return rec;
}

/** Parses the FC 0x11 identification text: "VZLJOT aa.bb.cc.dd" (version) anywhere in the ASCII data. */
export function decodeIdentification(data: Buffer): { text: string; version?: string } {
  const text = data.toString('latin1').replace(/[^\x20-\x7e]/g, ' ').trim();
  const m = /VZLJOT ((?:[0-9A-Fa-f]{2}\.?){4})/.exec(text);
  return m ? { text, version: m[1]! } : { text };
}
