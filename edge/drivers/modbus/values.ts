/**
 * Register and record value decoding shared by the Modbus profile driver and the archive drivers.
 * Values keep the meter's resolution: integers scale by a decimal exponent built exactly
 * (`Number(`${raw}e${exp}`)`), IEEE floats print as the shortest decimal that is the same float.
 */
import { GkhError } from '../../errors.js';

/** Numeric types a profile can name. */
export type ValueType = 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';
/** Order of bytes within a 16-bit word, and of words within a multi-word value. `BE` = most significant first (Modbus default). */
export type Order = 'BE' | 'LE';

/** Byte size of a type. */
export function sizeOf(t: ValueType): number {
  return t === 'int16' || t === 'uint16' ? 2 : t === 'float64' ? 8 : 4;
}

/**
 * Reorders `raw` (as on the wire) to big-endian given word and byte order.
 * E.g. float32 "CDAB" (word-swapped) = wordOrder LE, byteOrder BE; fully little-endian = LE/LE.
 */
export function toBigEndian(raw: Uint8Array, wordOrder: Order, byteOrder: Order): Buffer {
  const words: Buffer[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const w = Buffer.from(raw.subarray(i, i + 2));
    words.push(byteOrder === 'LE' ? Buffer.from([w[1]!, w[0]!]) : w);
  }
  if (wordOrder === 'LE') words.reverse();
  return Buffer.concat(words);
}

/** The shortest decimal that converts back to the same float32 (what the meter's float "means"). */
export function float32Decimal(f: number): number {
  if (!Number.isFinite(f)) return f;
  for (let p = 1; p <= 9; p++) {
    const n = Number(f.toPrecision(p));
    if (Math.fround(n) === f) return n;
  }
  return f;
}

/** Raw integer or float from `buf` at `offset`. Throws FRAME_TRUNCATED naming the byte when the buffer is short. */
export function readRaw(buf: Uint8Array, offset: number, type: ValueType, wordOrder: Order = 'BE', byteOrder: Order = 'BE'): number {
  const n = sizeOf(type);
  if (offset < 0 || offset + n > buf.length) throw new GkhError('FRAME_TRUNCATED', `value of ${n} bytes at byte ${offset} beyond the data (${buf.length} bytes)`, { byte: offset, expected: offset + n, got: buf.length });
  const be = toBigEndian(buf.subarray(offset, offset + n), wordOrder, byteOrder);
  switch (type) {
    case 'int16':
      return be.readInt16BE(0);
    case 'uint16':
      return be.readUInt16BE(0);
    case 'int32':
      return be.readInt32BE(0);
    case 'uint32':
      return be.readUInt32BE(0);
    case 'float32':
      return float32Decimal(be.readFloatBE(0));
    case 'float64':
      return be.readDoubleBE(0);
  }
}

/** Encodes `value` (already in raw units) the way `readRaw` reads it back; for simulators and round-trip tests. */
export function writeRaw(value: number, type: ValueType, wordOrder: Order = 'BE', byteOrder: Order = 'BE'): Buffer {
  const be = Buffer.alloc(sizeOf(type));
  switch (type) {
    case 'int16':
      be.writeInt16BE(value);
      break;
    case 'uint16':
      be.writeUInt16BE(value);
      break;
    case 'int32':
      be.writeInt32BE(value);
      break;
    case 'uint32':
      be.writeUInt32BE(value);
      break;
    case 'float32':
      be.writeFloatBE(value);
      break;
    case 'float64':
      be.writeDoubleBE(value);
      break;
  }
  // The reordering is an involution for these layouts: applying it to big-endian yields the wire form.
  return toBigEndian(be, wordOrder, byteOrder);
}

/** Scaling of a raw value: a decimal exponent (exact) or a divisor (e.g. seconds → hours). */
export interface Scaling {
  /** value = raw × 10^exponent, built exactly from the decimal string. */
  exponent?: number;
  /** value = raw / divisor (after the exponent), for non-decimal units such as seconds → hours. */
  divisor?: number;
}

/** Applies a profile's scaling to a raw value. Integers with an exponent stay exact decimals. */
export function scale(raw: number, s: Scaling): number {
  let v = raw;
  if (s.exponent !== undefined && s.exponent !== 0) v = Number(`${raw}e${s.exponent}`);
  if (s.divisor !== undefined) v = Number((v / s.divisor).toPrecision(12));
  return v;
}
