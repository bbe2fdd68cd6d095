/**
 * Modbus RTU application frames: request encoding, reply framing (the length of a complete reply
 * from its first bytes) and reply decoding with typed errors. Pure: bytes in, frames out.
 * Modbus Application Protocol V1.1b3 §6 (function codes), Modbus over Serial Line V1.02 §2.5.1 (RTU frame).
 */
import { GkhError } from '../../errors.js';
import { crc16, withCrc } from './crc.js';

/** Request frame: address, function code, payload, CRC. */
export function encodeRequest(address: number, fc: number, payload: Uint8Array = Buffer.alloc(0)): Buffer {
  if (!Number.isInteger(address) || address < 0 || address > 247) throw new GkhError('DRIVER_ADDRESS', `Modbus address ${address} outside 0…247`, { address });
  const body = Buffer.alloc(2 + payload.length);
  body[0] = address;
  body[1] = fc;
  body.set(payload, 2);
  return withCrc(body);
}

/** FC 3/4 request payload: start register, count (big-endian words). */
export function readRegistersPayload(start: number, count: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt16BE(start, 0);
  p.writeUInt16BE(count, 2);
  return p;
}

/** FC 16 request payload: start, count, byte count, the register bytes as given. */
export function writeRegistersPayload(start: number, data: Uint8Array): Buffer {
  if (data.length % 2 !== 0 || data.length === 0 || data.length > 246) throw new GkhError('DRIVER_REQUEST', `FC 16 needs 2…246 bytes in whole registers, got ${data.length}`, { length: data.length });
  const p = Buffer.alloc(5 + data.length);
  p.writeUInt16BE(start, 0);
  p.writeUInt16BE(data.length / 2, 2);
  p[4] = data.length;
  p.set(data, 5);
  return p;
}

/** Function codes whose reply is `addr fc n data[n] crc` (byte count in the third byte). */
const COUNTED = new Set([0x01, 0x02, 0x03, 0x04, 0x11, 0x17, 0x41]);
/** Function codes whose reply is a fixed 8-byte echo (address, fc, 4 bytes, CRC). */
const ECHO8 = new Set([0x05, 0x06, 0x0f, 0x10]);

/**
 * Length of the complete reply frame once its first bytes are known, or undefined while more are needed.
 * Exceptions (fc | 0x80) are 5 bytes. Unknown function codes: undefined (the inter-byte silence ends the frame).
 */
export function replyLength(buf: Buffer): number | undefined {
  if (buf.length < 2) return undefined;
  const fc = buf[1]!;
  if (fc & 0x80) return 5;
  if (ECHO8.has(fc)) return 8;
  if (COUNTED.has(fc)) return buf.length >= 3 ? 5 + buf[2]! : undefined;
  return undefined;
}

/** A decoded, verified reply. */
export interface RtuReply {
  address: number;
  fc: number;
  /** Data after the byte count (counted replies) or after the function code (echo replies), without CRC. */
  data: Buffer;
}

/** Modbus exception names, Modbus Application Protocol §7. */
export const EXCEPTIONS: Record<number, string> = {
  1: 'ILLEGAL FUNCTION',
  2: 'ILLEGAL DATA ADDRESS',
  3: 'ILLEGAL DATA VALUE',
  4: 'SERVER DEVICE FAILURE',
  5: 'ACKNOWLEDGE',
  6: 'SERVER DEVICE BUSY',
  8: 'MEMORY PARITY ERROR',
  10: 'GATEWAY PATH UNAVAILABLE',
  11: 'GATEWAY TARGET DEVICE FAILED TO RESPOND',
};

/**
 * Verifies and decodes a reply to a request (`address`, `fc`). Errors, by code:
 * FRAME_TRUNCATED (shorter than its own length says), FRAME_LENGTH (longer: noise or two frames),
 * FRAME_CHECKSUM (CRC), DRIVER_WRONG_ADDRESS (another device answered), FRAME_UNEXPECTED_FUNCTION,
 * DRIVER_MODBUS_EXCEPTION (context.exception = exception code).
 */
export function decodeReply(frame: Buffer, address: number, fc: number): RtuReply {
  if (frame.length < 5) throw new GkhError('FRAME_TRUNCATED', `Modbus reply of ${frame.length} bytes: at least 5 needed`, { byte: frame.length, length: frame.length });
  const want = replyLength(frame) ?? frame.length;
  if (frame.length < want) throw new GkhError('FRAME_TRUNCATED', `Modbus reply truncated: byte ${frame.length} missing (frame length ${want} from its header)`, { byte: frame.length, expected: want, got: frame.length });
  const expectedCrc = crc16(frame, 0, frame.length - 2);
  const gotCrc = frame.readUInt16LE(frame.length - 2);
  if (frame.length > want) {
    throw new GkhError('FRAME_LENGTH', `Modbus reply has ${frame.length - want} bytes beyond its length ${want} (line noise or a second frame)`, { byte: want, expected: want, got: frame.length });
  }
  if (expectedCrc !== gotCrc)
    throw new GkhError('FRAME_CHECKSUM', `Modbus CRC mismatch at byte ${frame.length - 2}: expected ${hex4(expectedCrc)}, got ${hex4(gotCrc)}`, { byte: frame.length - 2, expected: expectedCrc, got: gotCrc });
  const a = frame[0]!;
  const f = frame[1]!;
  if (a !== address) throw new GkhError('DRIVER_WRONG_ADDRESS', `reply from address ${a}, expected ${address}`, { byte: 0, expected: address, got: a });
  if (f === (fc | 0x80)) {
    const ex = frame[2]!;
    throw new GkhError('DRIVER_MODBUS_EXCEPTION', `Modbus exception ${ex} (${EXCEPTIONS[ex] ?? 'unknown'}) to function 0x${fc.toString(16)}`, { byte: 2, exception: ex, fc });
  }
  if (f !== fc) throw new GkhError('FRAME_UNEXPECTED_FUNCTION', `reply function 0x${f.toString(16)}, expected 0x${fc.toString(16)}`, { byte: 1, expected: fc, got: f });
  const data = COUNTED.has(fc) ? frame.subarray(3, frame.length - 2) : frame.subarray(2, frame.length - 2);
  return { address: a, fc: f, data: Buffer.from(data) };
}

function hex4(n: number): string {
  return `0x${n.toString(16).padStart(4, '0')}`;
}
