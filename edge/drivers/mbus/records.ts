/**
 * Data records of the variable data structure (EN 13757-3 §6): DIF/DIFE (data field, function, storage
 * number, tariff, subunit), VIF/VIFE (unit and scale, extension tables, plain-text VIF, combinable VIFEs),
 * and the data types of Annex A (binary integers B, BCD A, real H, dates F/G, date-time I, time J,
 * variable length). Pure functions; errors name the byte (offset within the frame) and why.
 */
import { GkhError } from '../../errors.js';
import { hx } from './frame.js';
import { combinableVife, lookupVif, type VifInfo } from './vif.js';

/** DIF bits 5–4 (EN 13757-3 Table 6), plus the two special-function records. */
export type RecordFunction = 'Instantaneous value' | 'Maximum value' | 'Minimum value' | 'Value during error state' | 'Manufacturer specific' | 'More records follow';
const FUNCTIONS: RecordFunction[] = ['Instantaneous value', 'Maximum value', 'Minimum value', 'Value during error state'];

/** How the data field was coded. */
export type DataType = 'none' | 'int' | 'bcd' | 'real' | 'date' | 'datetime' | 'time' | 'text' | 'binary' | 'bytes';

/** One decoded data record. */
export interface MbusRecord {
  function: RecordFunction;
  /** Storage number: 0 = current value, > 0 = historic values (DIF bit 6 + DIFE bits 0–3). */
  storage: number;
  /** Tariff (DIFE bits 4–5). */
  tariff: number;
  /** Subunit / device unit (DIFE bit 6). */
  subunit: number;
  /** Whether the record had DIFEs (libmbus prints tariff and subunit only then). */
  hasDife: boolean;
  quantity: string;
  /** Normalised unit with the VIF exponent applied: Wh, J, m³, m³/h, W, °C, K, bar, s … ('-' for dates, '' for ids). */
  unit: string;
  /**
   * The value in `unit`: a number built exactly from the stored decimal digits and the exponent; a string
   * for dates (`YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` in the meter's local time), text, and manufacturer bytes
   * (hex); null when the meter marks it invalid or it cannot be represented.
   */
  value: number | string | null;
  dataType: DataType;
  dif: number;
  dife: number[];
  vif: number;
  vife: number[];
  /** Plain-text VIF (VIF 0x7C/0xFC), as read (characters are sent last first). */
  vifText?: string;
  /** Meaning of combinable VIFEs, record errors, invalid flags, anything skipped. */
  notes: string[];
  /** Offset of the DIF within the frame (bytes). */
  offset: number;
  /** The record's bytes, hex with spaces. */
  raw: string;
}

/** Data field code → data length in bytes (EN 13757-3 Table 5); 0xD (variable) is resolved from LVAR. */
const DATA_LEN = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, 0];

/** Reading state: `base` maps user-data offsets to frame offsets for error messages. */
interface Cursor {
  d: Uint8Array;
  pos: number;
  base: number;
}

function fail(c: Cursor, at: number, why: string, ctx: Record<string, unknown> = {}): never {
  throw new GkhError('FRAME_DATA', `byte ${c.base + at}: ${why}`, { byte: c.base + at, ...ctx });
}

function need(c: Cursor, n: number, what: string): void {
  if (c.pos + n > c.d.length) fail(c, c.d.length, `premature end of data: ${what} needs ${n} byte(s), ${c.d.length - c.pos} left`, { expected: n, got: c.d.length - c.pos });
}

/** Integers of type B (two's complement, least significant byte first) as an exact decimal string. */
function intString(b: Uint8Array, signed = true): string {
  if (b.length > 0 && b.length <= 6) {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
    return String(signed ? buf.readIntLE(0, b.length) : buf.readUIntLE(0, b.length));
  }
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (signed && b.length > 0 && b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v.toString();
}

/** BCD of type A, least significant byte first; 'F' in the top nibble = minus (EN 13757-3 Annex A). Undefined for other non-decimal digits. */
function bcdString(b: Uint8Array): string | undefined {
  if (b.length === 0) return undefined; // LVAR C0h/D0h: zero digits, no number
  let s = '';
  let neg = false;
  for (let i = b.length - 1; i >= 0; i--) {
    const hi = b[i]! >> 4;
    const lo = b[i]! & 0x0f;
    if (i === b.length - 1 && hi === 0x0f) neg = true;
    else if (hi > 9) return undefined;
    if (lo > 9) return undefined;
    s += (i === b.length - 1 && neg ? '' : String(hi)) + String(lo);
  }
  const t = s.replace(/^0+(?=\d)/, '');
  return neg && t !== '0' ? `-${t}` : t;
}

/**
 * Applies a power of ten exactly to a decimal mantissa: `Number("12345e-3")` = 12.345 (never `m * 0.001`).
 * Integers beyond 2^53 cannot be a JS number without rounding: they stay an exact decimal string.
 */
export function scale(mantissa: string, exp: number, mult = 1): number | string {
  if (mantissa.length <= 15 && mult === 1) return Number(exp === 0 ? mantissa : `${mantissa}e${exp}`); // < 2^53: exact
  const m = BigInt(mantissa) * BigInt(mult);
  const abs = m < 0n ? -m : m;
  if (abs <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(`${m}e${exp}`);
  const digits = abs.toString();
  let s: string;
  if (exp >= 0) s = digits + '0'.repeat(exp);
  else {
    const padded = digits.padStart(-exp + 1, '0');
    s = `${padded.slice(0, exp)}.${padded.slice(exp)}`.replace(/\.?0+$/, '');
  }
  return m < 0n ? `-${s}` : s;
}

/** Shifts a real's shortest decimal form by a power of ten (1.5e0 with exp -3 → 0.0015, no binary rounding step). */
function shiftReal(f: number, exp: number): number {
  if (exp === 0) return f;
  const [m, e] = f.toExponential().split('e');
  return Number(`${m}e${Number(e) + exp}`);
}

function year2(y: number): number {
  // Two-digit years: 00–80 → 2000–2080, 81–99 → 1981–1999 (EN 13757-3 Annex A, types F and G).
  return y <= 80 ? 2000 + y : 1900 + y;
}
const p2 = (n: number): string => String(n).padStart(2, '0');

/** Type G (date, 2 bytes). Undefined when day or month is 0 or out of range (no valid date). */
export function dateG(b: Uint8Array): string | undefined {
  const day = b[0]! & 0x1f;
  const month = b[1]! & 0x0f;
  const y = ((b[0]! & 0xe0) >> 5) | ((b[1]! & 0xf0) >> 1);
  if (day < 1 || month < 1 || month > 12 || y > 99) return undefined;
  return `${year2(y)}-${p2(month)}-${p2(day)}`;
}

/** Type F (date and time to the minute, 4 bytes). Undefined when the IV (invalid) bit is set or fields are out of range. */
export function dateF(b: Uint8Array): string | undefined {
  if (b[0]! & 0x80) return undefined;
  const min = b[0]! & 0x3f;
  const hour = b[1]! & 0x1f;
  const d = dateG(b.subarray(2, 4));
  if (!d || min > 59 || hour > 23) return undefined;
  return `${d}T${p2(hour)}:${p2(min)}:00`;
}

/** Type I (date and time to the second, 6 bytes). */
export function dateI(b: Uint8Array): string | undefined {
  if (b[1]! & 0x80) return undefined;
  const sec = b[0]! & 0x3f;
  const min = b[1]! & 0x3f;
  const hour = b[2]! & 0x1f;
  const d = dateG(b.subarray(3, 5));
  if (!d || sec > 59 || min > 59 || hour > 23) return undefined;
  return `${d}T${p2(hour)}:${p2(min)}:${p2(sec)}`;
}

/** Type J (time of day, 3 bytes). */
export function timeJ(b: Uint8Array): string | undefined {
  const sec = b[0]! & 0x3f;
  const min = b[1]! & 0x3f;
  const hour = b[2]! & 0x1f;
  if (sec > 59 || min > 59 || hour > 23) return undefined;
  return `${p2(hour)}:${p2(min)}:${p2(sec)}`;
}

/** Encodes type F (for the simulator). `t` is the meter's local wall time given as UTC fields. */
export function encodeDateF(t: Date): Buffer {
  const y = t.getUTCFullYear() % 100;
  return Buffer.from([t.getUTCMinutes() & 0x3f, t.getUTCHours() & 0x1f, (t.getUTCDate() & 0x1f) | ((y & 0x07) << 5), ((t.getUTCMonth() + 1) & 0x0f) | ((y & 0x78) << 1)]);
}

/** Encodes type G. */
export function encodeDateG(t: Date): Buffer {
  const y = t.getUTCFullYear() % 100;
  return Buffer.from([(t.getUTCDate() & 0x1f) | ((y & 0x07) << 5), ((t.getUTCMonth() + 1) & 0x0f) | ((y & 0x78) << 1)]);
}

const HEX = Array.from({ length: 256 }, (_, i) => hx(i));
/** Bytes as upper-case hex separated by spaces (table lookup: this runs for every record). */
function hexBytes(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += i ? ` ${HEX[b[i]!]!}` : HEX[b[i]!]!;
  return s;
}

/** Reversed ASCII (EN 13757-3: variable-length text and plain-text VIFs are sent last character first). */
function reversedText(b: Uint8Array): string {
  return String.fromCharCode(...Array.from(b).reverse());
}

/**
 * Decodes the data records of a variable data structure from `d[start]` to the end.
 * `base` is the frame offset of `d[0]` (7 for a long frame's user data) for error messages.
 * Throws FRAME_DATA (premature end, > 10 DIFEs/VIFEs, reserved data field in a reply) naming the byte.
 */
export function decodeRecords(d: Uint8Array, start: number, base: number): { records: MbusRecord[]; moreRecordsFollow: boolean } {
  const c: Cursor = { d, pos: start, base };
  const records: MbusRecord[] = [];
  let more = false;
  while (c.pos < d.length) {
    const at = c.pos;
    const dif = d[c.pos]!;
    if (dif === 0x2f) {
      c.pos++; // idle filler (EN 13757-3 §6.2: DIF 2Fh), not a record
      continue;
    }
    if (dif === 0x0f || dif === 0x1f) {
      // Special functions: manufacturer-specific data to the end of the telegram; 1Fh: more records follow in the next telegram.
      c.pos++;
      const rest = d.subarray(c.pos);
      c.pos = d.length;
      if (dif === 0x1f) more = true;
      records.push({
        function: dif === 0x1f ? 'More records follow' : 'Manufacturer specific',
        storage: 0,
        tariff: 0,
        subunit: 0,
        hasDife: false,
        quantity: '',
        unit: '',
        value: hexBytes(rest),
        dataType: 'bytes',
        dif,
        dife: [],
        vif: 0,
        vife: [],
        notes: [],
        offset: base + at,
        raw: hexBytes(d.subarray(at)),
      });
      break;
    }
    if (dif === 0x7f) fail(c, at, 'DIF 7F (global readout request) is a master-to-slave code and cannot appear in a reply', { got: dif });
    if ((dif & 0x0f) === 0x0f) fail(c, at, `DIF ${hx(dif)} is a reserved special function`, { got: dif });
    c.pos++;
    const dife: number[] = [];
    let prev = dif;
    while (prev & 0x80) {
      need(c, 1, 'DIFE');
      if (dife.length === 10) fail(c, c.pos, 'more than 10 DIFEs (EN 13757-3 §6.3.3)', { expected: 10 });
      prev = d[c.pos++]!;
      dife.push(prev);
    }
    need(c, 1, 'VIF');
    const vif = d[c.pos++]!;
    let vifText: string | undefined;
    if ((vif & 0x7f) === 0x7c) {
      // Plain-text VIF: length byte and ASCII follow the VIF (EN 13757-3 §6.4.3).
      need(c, 1, 'plain-text VIF length');
      const n = d[c.pos++]!;
      need(c, n, 'plain-text VIF');
      vifText = reversedText(d.subarray(c.pos, c.pos + n));
      c.pos += n;
    }
    const vife: number[] = [];
    prev = vif;
    while (prev & 0x80) {
      need(c, 1, 'VIFE');
      if (vife.length === 10) fail(c, c.pos, 'more than 10 VIFEs (EN 13757-3 §6.4.1)', { expected: 10 });
      prev = d[c.pos++]!;
      vife.push(prev);
    }
    const field = dif & 0x0f;
    if (field === 0x08) fail(c, at, 'data field 8 (selection for readout) is a master-to-slave code and cannot appear in a reply', { got: dif });
    let len = DATA_LEN[field]!;
    let lvar: number | undefined;
    if (field === 0x0d) {
      need(c, 1, 'LVAR');
      lvar = d[c.pos++]!;
      if (lvar <= 0xbf) len = lvar;
      else if (lvar >= 0xc0 && lvar <= 0xc9) len = lvar - 0xc0;
      else if (lvar >= 0xd0 && lvar <= 0xd9) len = lvar - 0xd0;
      else if (lvar >= 0xe0 && lvar <= 0xef) len = lvar - 0xe0;
      else if (lvar >= 0xf0 && lvar <= 0xf4) len = 4 * (lvar - 0xec);
      else if (lvar === 0xf5) len = 48;
      else if (lvar === 0xf6) len = 64;
      else fail(c, c.pos - 1, `LVAR ${hx(lvar)} is reserved`, { got: lvar });
    }
    need(c, len, `data of DIF ${hx(dif)}`);
    const data = d.subarray(c.pos, c.pos + len);
    c.pos += len;
    records.push(interpret({ dif, dife, vif, vife, vifText, data, lvar, offset: base + at, raw: hexBytes(d.subarray(at, c.pos)) }));
  }
  return { records, moreRecordsFollow: more };
}

interface RawRecord {
  dif: number;
  dife: number[];
  vif: number;
  vife: number[];
  vifText: string | undefined;
  data: Uint8Array;
  lvar: number | undefined;
  offset: number;
  raw: string;
}

/** Turns a record's coded parts into quantity, unit and value. */
function interpret(r: RawRecord): MbusRecord {
  let storage = (r.dif >> 6) & 1;
  let tariff = 0;
  let subunit = 0;
  r.dife.forEach((e, i) => {
    storage |= (e & 0x0f) << (1 + 4 * i);
    tariff |= ((e >> 4) & 0x03) << (2 * i);
    subunit |= ((e >> 6) & 0x01) << i;
  });
  const notes: string[] = [];
  // Which table: VIF FD/FB take the true VIF from the first VIFE; the rest are combinable.
  let info: VifInfo;
  let combinable: number[];
  let mfr = false;
  const v7 = r.vif & 0x7f;
  if (r.vif === 0xfd || r.vif === 0xfb) {
    const first = r.vife[0];
    if (first === undefined) {
      info = { quantity: 'Reserved', unit: 'Reserved' };
      notes.push(`VIF ${hx(r.vif)} without the VIFE that names the quantity`);
    } else info = lookupVif(r.vif, first);
    combinable = r.vife.slice(1);
  } else if (v7 === 0x7b || v7 === 0x7d) {
    // 7Bh/7Dh without extension bit: the extension table is announced but no VIFE follows.
    info = { quantity: `Unknown VIF 0x${hx(r.vif)}`, unit: '' };
    notes.push(`VIF ${hx(r.vif)} announces an extension table but has no VIFE; value left unscaled`);
    combinable = r.vife;
  } else if (v7 === 0x7c) {
    info = { quantity: r.vifText ?? '', unit: '-', exp: 0 };
    combinable = r.vife;
  } else if (v7 === 0x7f) {
    info = lookupVif(0, r.vif);
    mfr = true;
    combinable = [];
    if (r.vife.length) notes.push(`manufacturer-specific VIFEs ${r.vife.map(hx).join(' ')}`);
  } else {
    info = lookupVif(0, r.vif);
    combinable = r.vife;
  }
  let exp = info.exp ?? 0;
  let unit = info.unit;
  let isDate = info.date === true;
  let invalid = false;
  for (const b of combinable) {
    if (mfr) break;
    const e = combinableVife(b);
    notes.push(e.text);
    if (e.manufacturer) mfr = true;
    if (e.exp !== undefined) exp += e.exp;
    if (e.per) unit = `${unit}${e.per}`;
    if (e.date) {
      isDate = true;
      unit = '-';
    }
    if (e.invalid) invalid = true;
  }
  if (mfr && v7 !== 0x7f) notes.push('value is manufacturer specific');
  const field = r.dif & 0x0f;
  const out: MbusRecord = {
    function: FUNCTIONS[(r.dif >> 4) & 0x03]!,
    storage,
    tariff,
    subunit,
    hasDife: r.dife.length > 0,
    quantity: info.quantity,
    unit,
    value: null,
    dataType: 'none',
    dif: r.dif,
    dife: r.dife,
    vif: r.vif,
    vife: r.vife,
    notes,
    offset: r.offset,
    raw: r.raw,
  };
  if (r.vifText !== undefined) out.vifText = r.vifText;
  const scaleable = info.exp !== undefined || info.mult !== undefined;
  const numeric = (m: string | undefined, type: DataType): void => {
    out.dataType = type;
    if (m === undefined) {
      out.value = null;
      notes.push(r.data.length === 0 ? 'BCD of zero digits (LVAR C0h/D0h): no number' : 'invalid BCD digit (A–E) in data');
      return;
    }
    out.value = scale(m, scaleable ? exp : 0, scaleable ? info.mult : 1);
  };
  if (field === 0x00) {
    out.dataType = 'none';
  } else if (isDate && (field === 0x02 || field === 0x04 || field === 0x06 || field === 0x03)) {
    const s = field === 0x02 ? dateG(r.data) : field === 0x04 ? dateF(r.data) : field === 0x06 ? dateI(r.data) : timeJ(r.data);
    out.dataType = field === 0x02 ? 'date' : field === 0x03 ? 'time' : 'datetime';
    if (s === undefined) notes.push(`invalid or unset ${field === 0x02 ? 'date (type G)' : field === 0x04 ? 'date/time (type F)' : field === 0x06 ? 'date/time (type I)' : 'time (type J)'}: ${hexBytes(r.data)}`);
    out.value = s ?? null;
  } else if (field === 0x05) {
    const f = Buffer.from(r.data).readFloatLE(0);
    out.dataType = 'real';
    if (!Number.isFinite(f)) {
      out.value = null;
      notes.push('real value is NaN or infinite');
    } else out.value = scaleable ? shiftReal(f * (info.mult ?? 1), exp) : f;
  } else if (field >= 0x09 && field <= 0x0e && field !== 0x0d) {
    numeric(bcdString(Uint8Array.from(r.data)), 'bcd');
  } else if (field === 0x0d) {
    const l = r.lvar!;
    if (l <= 0xbf) {
      out.dataType = 'text';
      out.value = reversedText(r.data);
    } else if (l >= 0xc0 && l <= 0xd9) {
      const m = bcdString(r.data);
      numeric(m === undefined ? undefined : l >= 0xd0 ? `-${m}` : m, 'bcd');
    } else {
      // A binary number (LVAR E0h–F6h) is sent least significant byte first; shown as hex, most significant first.
      out.dataType = 'binary';
      out.value = hexBytes(Uint8Array.from(r.data).reverse());
    }
  } else {
    numeric(intString(r.data), 'int');
  }
  if (invalid) {
    out.value = null;
  }
  return out;
}

/** What the simulator needs to write one record. */
export interface RecordSpec {
  /** Data field code (EN 13757-3 Table 5): 0x4 = 32-bit int, 0xC = 8-digit BCD, 0x2/0x4 with date VIFs … */
  field: number;
  vif: number;
  vife?: number[];
  storage?: number;
  tariff?: number;
  subunit?: number;
  functionCode?: 0 | 1 | 2 | 3;
  /** Integer mantissa (int/BCD) or raw bytes (dates, pre-encoded). */
  value: bigint | number | Uint8Array;
}

/** Encodes one record (DIF, DIFEs as needed, VIF, VIFEs, data). */
export function encodeRecord(s: RecordSpec): Buffer {
  const storage = s.storage ?? 0;
  const tariff = s.tariff ?? 0;
  const subunit = s.subunit ?? 0;
  const difes: number[] = [];
  let st = storage >> 1;
  let ta = tariff;
  let su = subunit;
  while (st || ta || su) {
    difes.push((st & 0x0f) | ((ta & 0x03) << 4) | ((su & 1) << 6));
    st >>= 4;
    ta >>= 2;
    su >>= 1;
  }
  for (let i = 0; i < difes.length - 1; i++) difes[i]! |= 0x80;
  const dif = (difes.length ? 0x80 : 0) | ((storage & 1) << 6) | ((s.functionCode ?? 0) << 4) | (s.field & 0x0f);
  const vife = s.vife ?? [];
  const head = [dif, ...difes, vife.length ? s.vif | 0x80 : s.vif, ...vife.map((v, i) => (i < vife.length - 1 ? v | 0x80 : v & 0x7f))];
  let data: Buffer;
  if (s.value instanceof Uint8Array) data = Buffer.from(s.value);
  else {
    const len = DATA_LEN[s.field]!;
    data = Buffer.alloc(len);
    const v = BigInt(s.value);
    if (s.field >= 0x09 && s.field <= 0x0e) {
      const digits = (v < 0n ? -v : v).toString().padStart(len * 2, '0');
      if (digits.length > len * 2) throw new GkhError('FRAME_DATA', `value ${v} does not fit ${len * 2} BCD digits`);
      for (let i = 0; i < len; i++) data[i] = parseInt(digits.slice(digits.length - 2 * i - 2, digits.length - 2 * i), 16);
      if (v < 0n) data[len - 1] = (data[len - 1]! & 0x0f) | 0xf0;
    } else {
      let x = v < 0n ? (1n << BigInt(8 * len)) + v : v;
      for (let i = 0; i < len; i++) {
        data[i] = Number(x & 0xffn);
        x >>= 8n;
      }
    }
  }
  return Buffer.concat([Buffer.from(head), data]);
}
