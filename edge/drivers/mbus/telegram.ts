/**
 * Application layer of a slave's reply (EN 13757-3): dispatches on CI — variable data with long header
 * (0x72), short header (0x7A) or none (0x78), the fixed data structure (0x73, EN 1434-3), application
 * errors (0x70), alarms (0x71) — and, for captured master frames, data send (0x51) records.
 */
import { GkhError } from '../../errors.js';
import { hx, parseFrame } from './frame.js';
import { decodeBcdId, decodeLongHeader, decodeShortHeader, type MbusHeader } from './header.js';
import { decodeRecords, type MbusRecord } from './records.js';

/** Application error codes of CI 0x70 (EN 13757-3 Table 9, wording as libmbus prints them). */
export const APPLICATION_ERRORS: readonly string[] = [
  'Unspecified error',
  'Unimplemented CI-Field',
  'Buffer too long, truncated',
  'Too many records',
  'Premature end of record',
  'More than 10 DIFEs',
  'More than 10 VIFEs',
  'Reserved',
  'Application busy',
  'Too many readouts',
];

/** A decoded telegram. Frame fields (C, A, CI) come along for logs and address checks. */
export type Telegram =
  | { type: 'variable'; c: number; a: number; ci: number; header: MbusHeader; records: MbusRecord[]; moreRecordsFollow: boolean }
  | { type: 'fixed'; c: number; a: number; ci: number; header: MbusHeader; records: MbusRecord[] }
  | { type: 'error'; c: number; a: number; ci: number; error: { code: number; text: string } }
  | { type: 'alarm'; c: number; a: number; ci: number; alarm: number }
  | { type: 'command'; c: number; a: number; ci: number; records: MbusRecord[] };

/** Fixed-structure media (EN 1434-3 / M-Bus fixed data header, 4 bits). */
const FIXED_MEDIUM = ['Other', 'Oil', 'Electricity', 'Gas', 'Heat', 'Steam', 'Hot water', 'Water', 'H.C.A.', 'Reserved', 'Gas Mode 2', 'Heat Mode 2', 'Hot water Mode 2', 'Water Mode 2', 'H.C.A. Mode 2', 'Reserved'];

/** Fixed-structure unit codes (6 bits) → quantity, unit, exponent. */
function fixedUnit(code: number): { quantity: string; unit: string; exp: number } | undefined {
  if (code >= 0x02 && code <= 0x0a) return { quantity: 'Energy', unit: 'Wh', exp: code - 0x02 };
  if (code >= 0x0b && code <= 0x13) return { quantity: 'Energy', unit: 'J', exp: code - 0x0b + 3 };
  if (code >= 0x14 && code <= 0x1c) return { quantity: 'Power', unit: 'W', exp: code - 0x14 };
  if (code >= 0x1d && code <= 0x25) return { quantity: 'Power', unit: 'J/h', exp: code - 0x1d + 3 };
  if (code >= 0x26 && code <= 0x2e) return { quantity: 'Volume', unit: 'm³', exp: code - 0x26 - 6 };
  if (code >= 0x2f && code <= 0x37) return { quantity: 'Volume flow', unit: 'm³/h', exp: code - 0x2f - 6 };
  if (code === 0x38) return { quantity: 'Temperature', unit: '°C', exp: -3 };
  if (code === 0x39) return { quantity: 'H.C.A.', unit: 'Units for H.C.A.', exp: 0 };
  if (code === 0x3f) return { quantity: 'Dimensionless', unit: '', exp: 0 };
  return undefined;
}

function fixedCounter(b: Uint8Array, bcd: boolean): string | undefined {
  if (!bcd) return String(Buffer.from(b).readUInt32LE(0));
  let s = '';
  for (let i = 3; i >= 0; i--) {
    if (b[i]! >> 4 > 9 || (b[i]! & 0x0f) > 9) return undefined;
    s += hx(b[i]!);
  }
  return s.replace(/^0+(?=\d)/, '');
}

/** Fixed data structure, CI 0x73 (16 bytes: id, access no., status, medium/units, two counters). */
function decodeFixed(d: Buffer, base: number): { header: MbusHeader; records: MbusRecord[] } {
  if (d.length < 16) throw new GkhError('FRAME_DATA', `byte ${base + d.length}: fixed data structure needs 16 bytes, got ${d.length}`, { byte: base + d.length, expected: 16, got: d.length });
  if (d.length > 16) throw new GkhError('FRAME_DATA', `byte ${base + 16}: ${d.length - 16} bytes after the 16-byte fixed data structure`, { byte: base + 16, expected: 16, got: d.length });
  const status = d[5]!;
  const medium = ((d[7]! >> 6) << 2) | (d[6]! >> 6);
  const header: MbusHeader = { id: decodeBcdId(d, 0), medium, mediumName: FIXED_MEDIUM[medium]!, accessNumber: d[4]!, status, signature: 0 };
  const bcd = (status & 0x80) === 0; // status bit 7: counters binary (1) or BCD (0)
  const stored = (status & 0x40) !== 0; // status bit 6: stored (1) or actual (0) values
  const u1 = fixedUnit(d[6]! & 0x3f);
  const code2 = d[7]! & 0x3f;
  // Unit code 3Eh for counter 2: "same unit as counter 1, but historic value".
  const u2 = code2 === 0x3e ? u1 : fixedUnit(code2);
  const records: MbusRecord[] = [];
  for (const [i, u] of [u1, u2].entries()) {
    const raw = d.subarray(8 + 4 * i, 12 + 4 * i);
    const m = fixedCounter(raw, bcd);
    const historic = i === 1 && code2 === 0x3e;
    const notes: string[] = [];
    if (!u) notes.push(`unit code ${hx(i === 0 ? d[6]! & 0x3f : code2)} is reserved or a time code; value left unscaled`);
    if (m === undefined) notes.push('invalid BCD digit in counter');
    records.push({
      function: 'Instantaneous value',
      storage: stored || historic ? 1 : 0,
      tariff: 0,
      subunit: 0,
      hasDife: false,
      quantity: u?.quantity ?? 'Unknown',
      unit: u?.unit ?? '',
      value: m === undefined ? null : u ? Number(`${m}e${u.exp}`) : Number(m),
      dataType: bcd ? 'bcd' : 'int',
      dif: 0,
      dife: [],
      vif: 0,
      vife: [],
      notes,
      offset: base + 8 + 4 * i,
      raw: Array.from(raw, hx).join(' '),
    });
  }
  return { header, records };
}

/**
 * Decodes the user data of a long frame with control information `ci`. `base` is the frame offset of
 * `data[0]` (7 in a long frame). Throws FRAME_DATA (with the byte) or MBUS_UNSUPPORTED (unknown CI).
 */
export function decodeUserData(c: number, a: number, ci: number, data: Buffer, base = 7): Telegram {
  switch (ci) {
    case 0x72: {
      if (data.length < 12) throw new GkhError('FRAME_DATA', `byte ${base + data.length}: long header (CI 72) needs 12 bytes, got ${data.length}`, { byte: base + data.length, expected: 12, got: data.length });
      const { records, moreRecordsFollow } = decodeRecords(data, 12, base);
      return { type: 'variable', c, a, ci, header: decodeLongHeader(data, 0), records, moreRecordsFollow };
    }
    case 0x7a: {
      if (data.length < 4) throw new GkhError('FRAME_DATA', `byte ${base + data.length}: short header (CI 7A) needs 4 bytes, got ${data.length}`, { byte: base + data.length, expected: 4, got: data.length });
      const { records, moreRecordsFollow } = decodeRecords(data, 4, base);
      return { type: 'variable', c, a, ci, header: decodeShortHeader(data, 0), records, moreRecordsFollow };
    }
    case 0x78: {
      const { records, moreRecordsFollow } = decodeRecords(data, 0, base);
      return { type: 'variable', c, a, ci, header: { accessNumber: 0, status: 0, signature: 0 }, records, moreRecordsFollow };
    }
    case 0x73:
      return { type: 'fixed', c, a, ci, ...decodeFixed(data, base) };
    case 0x70: {
      // EN 13757-3 §6.6: one byte of error code; none means "unspecified".
      const code = data.length > 0 ? data[0]! : 0;
      return { type: 'error', c, a, ci, error: { code, text: APPLICATION_ERRORS[code] ?? `Reserved application error 0x${hx(code)}` } };
    }
    case 0x71:
      return { type: 'alarm', c, a, ci, alarm: data.length > 0 ? data[0]! : 0 };
    case 0x51:
      return { type: 'command', c, a, ci, records: decodeRecords(data, 0, base).records };
    default:
      throw new GkhError('MBUS_UNSUPPORTED', `byte 6: CI ${hx(ci)} is not supported (variable data 72/7A/78, fixed 73, error 70, alarm 71, data send 51)`, { byte: 6, got: ci });
  }
}

/** Parses and decodes one long frame given as bytes (frame checks first: nothing is decoded from a bad frame). */
export function decodeTelegram(bytes: Uint8Array): Telegram {
  const f = parseFrame(bytes);
  if (f.kind !== 'long') throw new GkhError('MBUS_UNSUPPORTED', `a ${f.kind === 'ack' ? 'single character E5 (ACK)' : `short frame (C ${hx(f.c)}, A ${hx(f.a)})`} carries no user data`, { kind: f.kind });
  return decodeUserData(f.c, f.a, f.ci, f.data);
}

/** Hex text (spaces, newlines, optional 0x prefixes) → bytes; throws FRAME_HEX naming the bad token. */
export function parseHex(text: string): Buffer {
  const tokens = text.trim().split(/[\s,]+/).filter((t) => t !== '');
  const out: number[] = [];
  for (const [i, t0] of tokens.entries()) {
    const t = t0.replace(/^0x/i, '');
    if (!/^([0-9a-fA-F]{2})+$/.test(t)) throw new GkhError('FRAME_HEX', `token ${i + 1} "${t0}" is not hex bytes / не шестнадцатеричные байты`, { token: i + 1, got: t0 });
    for (let k = 0; k < t.length; k += 2) out.push(parseInt(t.slice(k, k + 2), 16));
  }
  return Buffer.from(out);
}
