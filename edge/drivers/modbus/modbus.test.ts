import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../types.js';
import { loadProfile } from '../profiles/index.js';
import { LoopbackTransport } from '../sim/loopback.js';
import { TsrvSimulator } from '../tsrv/sim.js';
import { crc16, crcOk, withCrc } from './crc.js';
import { decodeReply, encodeRequest, readRegistersPayload, replyLength, writeRegistersPayload } from './rtu.js';
import { RtuSession } from './session.js';
import { ModbusClient } from './client.js';
import { ModbusProfileDriver } from './driver.js';
import { float32Decimal, readRaw, scale, writeRaw } from './values.js';

describe('CRC-16/MODBUS', () => {
  it('matches the spec example and pymodbus', () => {
    // Modbus over Serial Line V1.02 example: slave 0x11, FC 3, register 0x006B, 3 registers → CRC 76 87.
    expect(toHex(withCrc(fromHex('11 03 00 6b 00 03')))).toBe('11 03 00 6b 00 03 76 87');
    expect(toHex(encodeRequest(1, 3, readRegistersPayload(0, 10)))).toBe('01 03 00 00 00 0a c5 cd');
    expect(crc16(fromHex('01 03 00 00 00 0a'))).toBe(0xcdc5);
    expect(crcOk(fromHex('01 03 00 00 00 0a c5 cd'))).toBe(true);
    expect(crcOk(fromHex('01 03 00 00 00 0a c5 ce'))).toBe(false);
  });
});

describe('RTU frames', () => {
  it('reply length from the header', () => {
    expect(replyLength(fromHex('01'))).toBeUndefined();
    expect(replyLength(fromHex('01 03 04'))).toBe(9);
    expect(replyLength(fromHex('01 10'))).toBe(8);
    expect(replyLength(fromHex('01 83'))).toBe(5);
    expect(replyLength(fromHex('01 41 2c'))).toBe(49);
    expect(replyLength(fromHex('01 65'))).toBeUndefined();
  });

  it('FC 16 payload and its echo; round trip of a register reply', () => {
    expect(toHex(encodeRequest(1, 16, writeRegistersPayload(0x60, Buffer.from([9, 27, 11, 26]))))).toBe('01 10 00 60 00 02 04 09 1b 0b 1a 00 e7');
    const reply = withCrc(fromHex('01 03 04 00 05 30 9b'));
    expect(decodeReply(reply, 1, 3)).toEqual({ address: 1, fc: 3, data: fromHex('00 05 30 9b') });
    expect(decodeReply(withCrc(fromHex('01 10 00 60 00 02')), 1, 16).data).toEqual(fromHex('00 60 00 02'));
  });

  const bad: [string, string, string][] = [
    ['short', '01 03', 'FRAME_TRUNCATED'],
    ['truncated by its own count', toHex(withCrc(fromHex('01 03 04 00 05'))), 'FRAME_TRUNCATED'],
    ['bytes beyond its length', toHex(withCrc(fromHex('01 03 02 00 05 ff'))), 'FRAME_LENGTH'],
    ['CRC', '01 03 02 00 05 00 00', 'FRAME_CHECKSUM'],
    ['other address', toHex(withCrc(fromHex('02 03 02 00 05'))), 'DRIVER_WRONG_ADDRESS'],
    ['exception', toHex(withCrc(fromHex('01 83 02'))), 'DRIVER_MODBUS_EXCEPTION'],
    ['other function', toHex(withCrc(fromHex('01 04 02 00 05'))), 'FRAME_UNEXPECTED_FUNCTION'],
  ];
  for (const [what, hex, code] of bad) it(`rejects ${what}: ${code}`, () => expect(() => decodeReply(fromHex(hex), 1, 3)).toThrow(expect.objectContaining({ code })));
});

describe('values', () => {
  // 123.456 as float32 = 0x42F6E979 (Python struct.pack('>f', 123.456)).
  const orders: [string, 'BE' | 'LE', 'BE' | 'LE', string][] = [
    ['ABCD', 'BE', 'BE', '42 f6 e9 79'],
    ['CDAB', 'LE', 'BE', 'e9 79 42 f6'],
    ['BADC', 'BE', 'LE', 'f6 42 79 e9'],
    ['DCBA', 'LE', 'LE', '79 e9 f6 42'],
  ];
  for (const [name, w, b, hex] of orders)
    it(`float32 ${name} round trip`, () => {
      expect(readRaw(fromHex(hex), 0, 'float32', w, b)).toBe(123.456);
      expect(toHex(writeRaw(Math.fround(123.456), 'float32', w, b))).toBe(hex);
    });

  it('integers with exact decimal exponents, divisors, and the byte that is missing', () => {
    expect(scale(readRaw(fromHex('00 00 30 39'), 0, 'uint32'), { exponent: -3 })).toBe(12.345);
    expect(scale(readRaw(fromHex('ff b5'), 0, 'int16'), { exponent: -2 })).toBe(-0.75);
    expect(scale(1800, { divisor: 3600 })).toBe(0.5);
    expect(readRaw(fromHex('39 30 00 00'), 0, 'int32', 'LE', 'LE')).toBe(12345);
    expect(float32Decimal(Math.fround(0.1))).toBe(0.1);
    expect(() => readRaw(fromHex('00 01'), 1, 'uint16')).toThrow(expect.objectContaining({ code: 'FRAME_TRUNCATED', context: expect.objectContaining({ byte: 1 }) }));
  });
});

describe('session and modbus-serial client on a loopback transport', () => {
  const profile = loadProfile('vzljot-tsrv-034');
  const now = Date.UTC(2026, 10, 27, 10, 20);
  const setup = () => {
    const t = new LoopbackTransport([new TsrvSimulator({ profile, address: 7, now: () => now, serial: 340123 })]);
    return { t, session: new RtuSession(t, { timeoutMs: 50, interByteTimeoutMs: 0, guardTimeMs: 0, retries: 2 }) };
  };

  it('FC 3 via modbus-serial gives the register bytes and the raw reply', async () => {
    const { session, t } = setup();
    const rep = await new ModbusClient(session).readRegisters(7, 3, 32768, 2);
    expect(rep).toEqual({ data: fromHex('00 05 30 9b'), raw: toHex(withCrc(fromHex('07 03 04 00 05 30 9b'))), tries: 1 });
    expect(toHex(t.sent[0]!)).toBe(toHex(encodeRequest(7, 3, readRegistersPayload(32768, 2))));
  });

  it('retries a corrupted reply and reports the try count; a Modbus exception is not retried', async () => {
    const { session, t } = setup();
    t.faults.rules = [{ kind: 'crc', every: 2 }];
    const c = new ModbusClient(session);
    await c.readRegisters(7, 3, 32768, 2);
    const second = await c.readRegisters(7, 3, 32768, 2);
    expect(second.tries).toBe(2);
    t.faults.rules = [];
    const sentBefore = t.sent.length;
    await expect(c.readRegisters(7, 3, 1, 1)).rejects.toMatchObject({ code: 'DRIVER_MODBUS_EXCEPTION', context: expect.objectContaining({ exception: 2, tries: 1 }) });
    expect(t.sent.length - sentBefore).toBe(1);
  });

  it('generic profile driver: serial and clock from the register map, no archive', async () => {
    const { session } = setup();
    const d = new ModbusProfileDriver({ meterId: 'x', address: 7, profile, session });
    const id = await d.identify();
    expect(id).toMatchObject({ serial: '340123', meterClock: now / 1000 });
    await expect(d.readHourly()).rejects.toMatchObject({ code: 'DRIVER_NO_ARCHIVE' });
    const cur = await d.readCurrent();
    expect(cur.systems).toEqual([{ system: 1, values: { archiveFlow1IsVolume: { value: 0, unit: '' } } }]);
  });
});
