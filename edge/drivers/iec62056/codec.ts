/**
 * IEC 62056-21 (mode C) messages: sign-on request, identification, acknowledgement/option select,
 * data message with block check character, and the data lines `address(value*unit)`. Pure codec.
 * IEC 62056-21:2002 §6.3 (message formats), §6.4.3 (mode C), §6.3.14 (Z baud codes).
 */
import { GkhError } from '../../errors.js';

export const SOH = 0x01;
export const STX = 0x02;
export const ETX = 0x03;
export const ACK = 0x06;
export const NAK = 0x15;

/** Mode C baud-rate characters '0'…'6' (§6.3.14 table). */
export const BAUD_BY_CODE: Record<string, number> = { '0': 300, '1': 600, '2': 1200, '3': 2400, '4': 4800, '5': 9600, '6': 19200 };

/** Code character of a mode C baud rate; throws for a rate mode C does not know. */
export function baudCode(baud: number): string {
  const e = Object.entries(BAUD_BY_CODE).find(([, b]) => b === baud);
  if (!e) throw new GkhError('DRIVER_REQUEST', `${baud} baud has no IEC 62056-21 mode C code`, { baud });
  return e[0];
}

/** Request message `/?<address>!CR LF` (§6.3.1); the address is optional (up to 32 characters). */
export function signOn(address = ''): Buffer {
  if (!/^[0-9A-Za-z ]{0,32}$/.test(address)) throw new GkhError('DRIVER_ADDRESS', `IEC 62056-21 device address "${address}": up to 32 letters, digits or spaces`, { address });
  return Buffer.from(`/?${address}!\r\n`, 'latin1');
}

/** Acknowledgement/option select `ACK V Z Y CR LF` (§6.3.3): protocol control V, baud code Z, mode Y ('0' data readout). */
export function ackOptionSelect(z: string, mode = '0', protocol = '0'): Buffer {
  return Buffer.from(`\x06${protocol}${z}${mode}\r\n`, 'latin1');
}

/** Identification message (§6.3.2): `/XXXZ<ident>CR LF`. */
export interface Identification {
  /** Three-letter manufacturer id (lower-case third letter: the meter answers within 20 ms). */
  manufacturer: string;
  /** Baud character Z. */
  baudCode: string;
  /** Mode C baud rate of Z, or undefined when Z is a mode A/B character. */
  baudRate?: number;
  identification: string;
}

/** Parses an identification line (with CR LF). Throws FRAME_INVALID naming the byte. */
export function parseIdentification(b: Buffer | string): Identification {
  const s = typeof b === 'string' ? b : b.toString('latin1');
  if (s[0] !== '/') throw new GkhError('FRAME_INVALID', `identification must start with '/', byte 0 is 0x${s.charCodeAt(0).toString(16)}`, { byte: 0 });
  if (!s.endsWith('\r\n')) throw new GkhError('FRAME_INVALID', `identification must end with CR LF`, { byte: s.length - 1 });
  if (s.length < 7) throw new GkhError('FRAME_TRUNCATED', `identification of ${s.length} bytes is too short`, { byte: s.length });
  const manufacturer = s.slice(1, 4);
  if (!/^[A-Za-z]{3}$/.test(manufacturer)) throw new GkhError('FRAME_INVALID', `manufacturer id "${manufacturer}" at bytes 1…3 is not three letters`, { byte: 1 });
  const z = s[4]!;
  return { manufacturer, baudCode: z, baudRate: BAUD_BY_CODE[z], identification: s.slice(5, -2) };
}

/** Block check character: XOR of the bytes after SOH/STX up to and including ETX (§6.3.5). */
export function bcc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let x = 0;
  for (let i = start; i < end; i++) x ^= bytes[i]!;
  return x;
}

/** A data message `STX <data> ETX BCC` (simulator side). */
export function encodeDataMessage(data: string): Buffer {
  const body = Buffer.from(`${data}\x03`, 'latin1');
  return Buffer.concat([Buffer.from([STX]), body, Buffer.from([bcc(body)])]);
}

/** Length of a data message once its ETX and BCC arrived (framing for Transport.read), else undefined. */
export function dataMessageLength(b: Buffer): number | undefined {
  const i = b.indexOf(ETX);
  return i >= 0 && b.length >= i + 2 ? i + 2 : undefined;
}

/** Length of a line ending in LF (identification), else undefined. */
export function lineLength(b: Buffer): number | undefined {
  const i = b.indexOf(0x0a);
  return i >= 0 ? i + 1 : undefined;
}

/** Checks STX … ETX BCC and returns the data text. Errors: FRAME_INVALID (no STX), FRAME_CHECKSUM (expected and got). */
export function decodeDataMessage(b: Buffer): string {
  if (b[0] !== STX) throw new GkhError('FRAME_INVALID', `data message must start with STX, byte 0 is 0x${(b[0] ?? 0).toString(16)}`, { byte: 0 });
  const etx = b.indexOf(ETX);
  if (etx < 0 || b.length < etx + 2) throw new GkhError('FRAME_TRUNCATED', `data message without ETX and BCC`, { byte: b.length });
  const want = bcc(b, 1, etx + 1);
  const got = b[etx + 1]!;
  if (want !== got) throw new GkhError('FRAME_CHECKSUM', `BCC mismatch at byte ${etx + 1}: expected 0x${want.toString(16)}, got 0x${got.toString(16)}`, { byte: etx + 1, expected: want, got });
  return b.subarray(1, etx).toString('latin1');
}

/** One data set of a readout: `address(value*unit)`; pairs such as `9.4(098.5*C&082.4*C)` keep the raw value. */
export interface DataSet {
  address: string;
  /** The text between the brackets. */
  raw: string;
  /** Value and unit parts, split at '&' then '*'. */
  parts: { value: string; unit?: string }[];
}

/** Parses the data of a readout into data sets, in order; stops at the end line `!`. */
export function parseDataSets(data: string): DataSet[] {
  const out: DataSet[] = [];
  const re = /([^()\r\n!]+)\(([^()]*)\)/g;
  const body = data.split(/\r\n!\r\n|^!\r\n/)[0] ?? data;
  for (const m of body.matchAll(re)) {
    const raw = m[2]!;
    out.push({
      address: m[1]!.trim(),
      raw,
      parts: raw === '' ? [] : raw.split('&').map((p) => {
        const star = p.indexOf('*');
        return star >= 0 ? { value: p.slice(0, star), unit: p.slice(star + 1) } : { value: p };
      }),
    });
  }
  return out;
}
