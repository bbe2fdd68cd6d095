/**
 * M-Bus frame layer, EN 13757-2 §5 (FT 1.2 format): finds frame boundaries, checks start, length,
 * checksum and stop bytes, and builds frames. No meaning is given to C, A or CI here (see link.ts).
 *
 *   single character  E5
 *   short frame       10 C A CS 16
 *   control frame     68 03 03 68 C A CI CS 16
 *   long frame        68 L L 68 C A CI data… CS 16   (L = 3 + data length, CS = sum of C…data mod 256)
 */
import { GkhError } from '../../errors.js';

/** The ACK single character (EN 13757-2 §5.3). */
export const ACK = 0xe5;
export const START_SHORT = 0x10;
export const START_LONG = 0x68;
export const STOP = 0x16;
/** Largest L field: 255 bytes C + A + CI + 252 data bytes. */
export const MAX_L = 0xff;

/** A checked frame. `data` is the user data after CI (long/control frames); a short frame has no CI. */
export type Frame =
  | { kind: 'ack' }
  | { kind: 'short'; c: number; a: number }
  | { kind: 'long'; c: number; a: number; ci: number; data: Buffer };

/** Sum of bytes mod 256 (EN 13757-2 §5.2: arithmetic sum without carry). */
export function checksum(b: Uint8Array, from = 0, to = b.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s = (s + b[i]!) & 0xff;
  return s;
}

/**
 * How many bytes the frame starting at `buf[0]` occupies, once enough bytes are there to tell
 * (undefined: need more). An unknown start byte counts as one byte of line noise. Use as the
 * transport's `frameLength`.
 */
export function frameLength(buf: Uint8Array): number | undefined {
  if (buf.length === 0) return undefined;
  const s = buf[0];
  if (s === ACK) return 1;
  if (s === START_SHORT) return 5;
  if (s === START_LONG) return buf.length < 2 ? undefined : buf[1]! + 6;
  return 1;
}

function err(code: string, msg: string, ctx: Record<string, unknown>): GkhError {
  return new GkhError(code, msg, ctx);
}

/**
 * Parses exactly one frame occupying all of `b`. Throws FRAME_START, FRAME_TRUNCATED, FRAME_LENGTH,
 * FRAME_CHECKSUM or FRAME_STOP naming the byte offset and what was expected; nothing of a frame whose
 * checksum fails is returned.
 */
export function parseFrame(b: Uint8Array): Frame {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (buf.length === 0) throw err('FRAME_TRUNCATED', 'empty frame / пустой кадр', { byte: 0, length: 0 });
  const s = buf[0]!;
  if (s === ACK) {
    if (buf.length !== 1) throw err('FRAME_LENGTH', `ACK (E5) followed by ${buf.length - 1} extra bytes at byte 1`, { byte: 1, expected: 1, got: buf.length });
    return { kind: 'ack' };
  }
  if (s === START_SHORT) {
    if (buf.length < 5) throw err('FRAME_TRUNCATED', `short frame cut off: ${buf.length} of 5 bytes`, { byte: buf.length, expected: 5, got: buf.length });
    if (buf.length > 5) throw err('FRAME_LENGTH', `short frame has ${buf.length - 5} extra bytes from byte 5`, { byte: 5, expected: 5, got: buf.length });
    const cs = checksum(buf, 1, 3);
    if (buf[3] !== cs) throw err('FRAME_CHECKSUM', `checksum at byte 3: expected ${hx(cs)}, got ${hx(buf[3]!)}`, { byte: 3, expected: cs, got: buf[3] });
    if (buf[4] !== STOP) throw err('FRAME_STOP', `stop byte at byte 4: expected 16, got ${hx(buf[4]!)}`, { byte: 4, expected: STOP, got: buf[4] });
    return { kind: 'short', c: buf[1]!, a: buf[2]! };
  }
  if (s !== START_LONG) throw err('FRAME_START', `byte 0: ${hx(s)} is not a frame start (E5, 10 or 68)`, { byte: 0, got: s });
  if (buf.length < 4) throw err('FRAME_TRUNCATED', `long frame header cut off after ${buf.length} bytes`, { byte: buf.length, expected: 4, got: buf.length });
  const l = buf[1]!;
  if (buf[2] !== l) throw err('FRAME_LENGTH', `byte 2: second length field ${hx(buf[2]!)} differs from the first ${hx(l)}`, { byte: 2, expected: l, got: buf[2] });
  if (buf[3] !== START_LONG) throw err('FRAME_START', `byte 3: expected the second start byte 68, got ${hx(buf[3]!)}`, { byte: 3, expected: START_LONG, got: buf[3] });
  if (l < 3) throw err('FRAME_LENGTH', `byte 1: L = ${l}, a long frame needs at least C, A and CI (L >= 3)`, { byte: 1, expected: 3, got: l });
  const total = l + 6;
  if (buf.length < total) throw err('FRAME_TRUNCATED', `frame cut off: L = ${l} needs ${total} bytes, got ${buf.length}`, { byte: buf.length, expected: total, got: buf.length });
  if (buf.length > total) throw err('FRAME_LENGTH', `${buf.length - total} bytes after the stop byte (L = ${l} gives ${total} bytes)`, { byte: total, expected: total, got: buf.length });
  const cs = checksum(buf, 4, 4 + l);
  if (buf[4 + l] !== cs) throw err('FRAME_CHECKSUM', `checksum at byte ${4 + l}: expected ${hx(cs)}, got ${hx(buf[4 + l]!)}`, { byte: 4 + l, expected: cs, got: buf[4 + l] });
  if (buf[5 + l] !== STOP) throw err('FRAME_STOP', `stop byte at byte ${5 + l}: expected 16, got ${hx(buf[5 + l]!)}`, { byte: 5 + l, expected: STOP, got: buf[5 + l] });
  return { kind: 'long', c: buf[4]!, a: buf[5]!, ci: buf[6]!, data: Buffer.from(buf.subarray(7, 4 + l)) };
}

/** Builds the bytes of a frame (the inverse of parseFrame). A long frame's data may be at most 252 bytes. */
export function encodeFrame(f: Frame): Buffer {
  if (f.kind === 'ack') return Buffer.from([ACK]);
  if (f.kind === 'short') return Buffer.from([START_SHORT, f.c, f.a, (f.c + f.a) & 0xff, STOP]);
  const l = 3 + f.data.length;
  if (l > MAX_L) throw new GkhError('FRAME_LENGTH', `user data of ${f.data.length} bytes does not fit a long frame (max 252)`, { expected: 252, got: f.data.length });
  const out = Buffer.alloc(l + 6);
  out[0] = START_LONG;
  out[1] = l;
  out[2] = l;
  out[3] = START_LONG;
  out[4] = f.c;
  out[5] = f.a;
  out[6] = f.ci;
  f.data.copy(out, 7);
  out[4 + l] = checksum(out, 4, 4 + l);
  out[5 + l] = STOP;
  return out;
}

/** Two hex digits, upper case (as on a protocol analyser). */
export function hx(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, '0');
}
