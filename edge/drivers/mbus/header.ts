/**
 * The fixed data header of a variable-data RSP_UD (EN 13757-3 §5): identification number, manufacturer,
 * version, medium (device type), access number, status, signature — and the secondary address built
 * from the first four of them, with wildcards for selection and search (EN 13757-3 §7).
 */
import { GkhError } from '../../errors.js';
import { hx } from './frame.js';

/** The long header of CI 0x72 (12 bytes), or the access/status/signature part of CI 0x7A. */
export interface MbusHeader {
  /** Identification number, 8 BCD digits (e.g. `"11490378"`); undefined for the short header. */
  id?: string;
  /** Three-letter FLAG code (e.g. `KAM`, `SEN`). */
  manufacturer?: string;
  version?: number;
  /** Device type code (EN 13757-3 Table 3) and its name. */
  medium?: number;
  mediumName?: string;
  accessNumber: number;
  /** Status byte (EN 13757-3 Table 5): bits 0–1 application state, 2 power low, 3 permanent error, 4 temporary error, 5–7 manufacturer. */
  status: number;
  /** Signature (encryption/configuration word), 0 when unused. */
  signature: number;
}

/** Device type names (EN 13757-3 Table 3, wording as libmbus prints them). */
export const MEDIUM: Readonly<Record<number, string>> = {
  0x00: 'Other',
  0x01: 'Oil',
  0x02: 'Electricity',
  0x03: 'Gas',
  0x04: 'Heat: Outlet',
  0x05: 'Steam',
  0x06: 'Warm water (30-90°C)',
  0x07: 'Water',
  0x08: 'Heat Cost Allocator',
  0x09: 'Compressed Air',
  0x0a: 'Cooling load meter: Outlet',
  0x0b: 'Cooling load meter: Inlet',
  0x0c: 'Heat: Inlet',
  0x0d: 'Heat / Cooling load meter',
  0x0e: 'Bus/System',
  0x0f: 'Unknown Medium',
  0x14: 'Calorific value',
  0x15: 'Hot water (>=90°C)',
  0x16: 'Cold water',
  0x17: 'Dual register (hot/cold) Water meter',
  0x18: 'Pressure',
  0x19: 'A/D Converter',
  0x1a: 'Smoke detector',
  0x1b: 'Room sensor',
  0x1c: 'Gas detector',
  0x20: 'Breaker: Electricity',
  0x21: 'Valve: Gas or water',
  0x25: 'Customer unit: Display device',
  0x28: 'Waste water',
  0x29: 'Garbage',
  0x2a: 'Carbon dioxide',
  0x31: 'Communication controller',
  0x32: 'Unidirectional repeater',
  0x33: 'Bidirectional repeater',
  0x36: 'Radio converter (system side)',
  0x37: 'Radio converter (meter side)',
};

/** Medium name; codes not in the table read `Reserved (0xNN)`. */
export function mediumName(code: number): string {
  return MEDIUM[code] ?? `Reserved (0x${hx(code)})`;
}

/** Manufacturer code → FLAG letters: 3 × 5 bits, 'A' = 1 (EN 13757-3 §5.6). */
export function decodeManufacturer(m: number): string {
  return String.fromCharCode(((m >> 10) & 0x1f) + 64, ((m >> 5) & 0x1f) + 64, (m & 0x1f) + 64);
}

/** FLAG letters → manufacturer code; throws FRAME_DATA for anything but three letters A–Z. */
export function encodeManufacturer(s: string): number {
  if (!/^[A-Z]{3}$/.test(s)) throw new GkhError('FRAME_DATA', `manufacturer must be three letters A-Z, got "${s}"`, { got: s });
  return ((s.charCodeAt(0) - 64) << 10) | ((s.charCodeAt(1) - 64) << 5) | (s.charCodeAt(2) - 64);
}

/** 4 BCD bytes, least significant first → 8 digits (nibbles A–F shown as hex digits, for wildcards). */
export function decodeBcdId(b: Uint8Array, off: number): string {
  let s = '';
  for (let i = 3; i >= 0; i--) s += hx(b[off + i]!);
  return s;
}

/** 8 digits (0–9 or F wildcard) → 4 BCD bytes, least significant first. */
export function encodeBcdId(id: string): Buffer {
  if (!/^[0-9Ff]{8}$/.test(id)) throw new GkhError('FRAME_DATA', `identification number must be 8 digits (F = wildcard), got "${id}"`, { got: id });
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) out[i] = parseInt(id.slice(6 - 2 * i, 8 - 2 * i), 16);
  return out;
}

/** Reads the 12-byte long header at `off` (CI 0x72). The caller checked that 12 bytes are there. */
export function decodeLongHeader(d: Uint8Array, off: number): MbusHeader {
  const medium = d[off + 7]!;
  return {
    id: decodeBcdId(d, off),
    manufacturer: decodeManufacturer(d[off + 4]! | (d[off + 5]! << 8)),
    version: d[off + 6]!,
    medium,
    mediumName: mediumName(medium),
    accessNumber: d[off + 8]!,
    status: d[off + 9]!,
    signature: d[off + 10]! | (d[off + 11]! << 8),
  };
}

/** Reads the 4-byte short header at `off` (CI 0x7A). */
export function decodeShortHeader(d: Uint8Array, off: number): MbusHeader {
  return { accessNumber: d[off]!, status: d[off + 1]!, signature: d[off + 2]! | (d[off + 3]! << 8) };
}

/** Writes a 12-byte long header. */
export function encodeLongHeader(h: Required<Pick<MbusHeader, 'id' | 'manufacturer' | 'version' | 'medium'>> & MbusHeader): Buffer {
  const out = Buffer.alloc(12);
  encodeBcdId(h.id).copy(out, 0);
  out.writeUInt16LE(encodeManufacturer(h.manufacturer), 4);
  out[6] = h.version;
  out[7] = h.medium;
  out[8] = h.accessNumber & 0xff;
  out[9] = h.status;
  out.writeUInt16LE(h.signature, 10);
  return out;
}

/** A secondary address (EN 13757-3 §7.2); `undefined` fields and `F` id digits are wildcards. */
export interface SecondaryAddress {
  id: string;
  manufacturer?: string;
  version?: number;
  medium?: number;
}

/**
 * Parses a secondary address as written in configs and on the command line: 8 id digits (F = wildcard),
 * optionally followed by manufacturer (3 letters or 4 hex digits, `FFFF` = any), version and medium
 * (2 hex digits each, `FF` = any), e.g. `12345678`, `12345678SEN0407`, `1234FFFF` or `12345678FFFFFFFF`.
 */
export function parseSecondary(s: string): SecondaryAddress {
  const m = /^([0-9Ff]{8})(?:([A-Za-z]{3}|[0-9A-Fa-f]{4})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2}))?$/.exec(s.trim());
  if (!m) throw new GkhError('FRAME_DATA', `secondary address "${s}": expected 8 id digits (F = any), optionally + manufacturer + version + medium, e.g. 12345678 or 12345678SEN0407`, { got: s });
  const out: SecondaryAddress = { id: m[1]!.toUpperCase() };
  if (m[2]) {
    const man = m[2].toUpperCase();
    if (/^[A-Z]{3}$/.test(man)) out.manufacturer = man;
    else if (man !== 'FFFF') out.manufacturer = decodeManufacturer(parseInt(man, 16));
    const v = parseInt(m[3]!, 16);
    const md = parseInt(m[4]!, 16);
    if (v !== 0xff) out.version = v;
    if (md !== 0xff) out.medium = md;
  }
  return out;
}

/** The 8-byte selection mask of a SND_UD CI 0x52 (wildcards: F nibbles, FFFF, FF). */
export function encodeSecondaryMask(a: SecondaryAddress): Buffer {
  const out = Buffer.alloc(8, 0xff);
  encodeBcdId(a.id).copy(out, 0);
  if (a.manufacturer !== undefined) out.writeUInt16LE(encodeManufacturer(a.manufacturer), 4);
  if (a.version !== undefined) out[6] = a.version;
  if (a.medium !== undefined) out[7] = a.medium;
  return out;
}

/** Decodes an 8-byte selection mask (what a slave receives with CI 0x52). */
export function decodeSecondaryMask(d: Uint8Array): SecondaryAddress {
  const man = d[4]! | (d[5]! << 8);
  const out: SecondaryAddress = { id: decodeBcdId(d, 0) };
  if (man !== 0xffff) out.manufacturer = decodeManufacturer(man);
  if (d[6] !== 0xff) out.version = d[6]!;
  if (d[7] !== 0xff) out.medium = d[7]!;
  return out;
}

/** True when the concrete address `addr` matches `mask` (wildcard digits and fields match anything). */
export function matchesSecondary(mask: SecondaryAddress, addr: Required<SecondaryAddress>): boolean {
  for (let i = 0; i < 8; i++) {
    const c = mask.id[i]!.toUpperCase();
    if (c !== 'F' && c !== addr.id[i]) return false;
  }
  return (
    (mask.manufacturer === undefined || mask.manufacturer === addr.manufacturer) &&
    (mask.version === undefined || mask.version === addr.version) &&
    (mask.medium === undefined || mask.medium === addr.medium)
  );
}

/** `12345678 SEN v4 Heat: Outlet` style text, and the 16-character form (`12345678` + 4 hex manufacturer + version + medium). */
export function formatSecondary(a: Required<SecondaryAddress>): string {
  return `${a.id}${hx(encodeManufacturer(a.manufacturer) >> 8)}${hx(encodeManufacturer(a.manufacturer) & 0xff)}${hx(a.version)}${hx(a.medium)}`;
}
