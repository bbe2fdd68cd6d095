/**
 * Modbus CRC-16 (polynomial 0xA001 reflected, initial 0xFFFF), sent low byte first.
 * Modbus over Serial Line V1.02 §6.2.2 "CRC Generation".
 */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** CRC-16/MODBUS of `data` (as a number; on the wire low byte first). */
export function crc16(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ TABLE[(crc ^ data[i]!) & 0xff]!;
  return crc;
}

/** `data` followed by its CRC (low byte first). */
export function withCrc(data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length + 2);
  out.set(data, 0);
  out.writeUInt16LE(crc16(data), data.length);
  return out;
}

/** True when the last two bytes of `frame` are the CRC of the rest. */
export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const got = frame[frame.length - 2]! | (frame[frame.length - 1]! << 8);
  return got === crc16(frame, 0, frame.length - 2);
}
