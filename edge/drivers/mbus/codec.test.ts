import { describe, expect, it } from 'vitest';
import { isGkhError } from '../../errors.js';
import { fromHex } from '../types.js';
import {
  appReset,
  decodeSecondaryMask,
  decodeTelegram,
  encodeFrame,
  encodeRecord,
  encodeSecondaryMask,
  frameLength,
  matchesSecondary,
  parseFrame,
  parseSecondary,
  reqUd2,
  selectSecondary,
  sndNke,
  decodeRecords,
} from './index.js';
import { encodeLongHeader } from './header.js';
import { encodeDateF, encodeDateG, scale } from './records.js';

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isGkhError(e)) return e.code;
    throw e;
  }
  return 'no error';
}

describe('frame layer (EN 13757-2)', () => {
  it('builds the master requests byte for byte', () => {
    expect(sndNke(1).toString('hex')).toBe('1040014116');
    expect(reqUd2(1, false).toString('hex')).toBe('105b015c16');
    expect(reqUd2(1, true).toString('hex')).toBe('107b017c16');
    expect(reqUd2(0xfd, true).toString('hex')).toBe('107bfd7816');
    expect(appReset(5).toString('hex')).toBe('68030368530550a816'); // CS = 53 + 05 + 50 = A8
    const sel = selectSecondary(encodeSecondaryMask(parseSecondary('12345678')));
    expect(sel.toString('hex')).toBe('680b0b6853fd5278563412ffffffffb216');
  });

  it('round-trips every frame kind', () => {
    for (const f of [{ kind: 'ack' as const }, { kind: 'short' as const, c: 0x5b, a: 7 }, { kind: 'long' as const, c: 8, a: 1, ci: 0x72, data: Buffer.from([1, 2, 3]) }]) {
      expect(parseFrame(encodeFrame(f))).toEqual(f);
    }
  });

  it('finds frame lengths for the transport', () => {
    expect(frameLength(Buffer.from([0xe5]))).toBe(1);
    expect(frameLength(Buffer.from([0x10]))).toBe(5);
    expect(frameLength(Buffer.from([0x68]))).toBeUndefined();
    expect(frameLength(Buffer.from([0x68, 0x03]))).toBe(9);
    expect(frameLength(Buffer.from([0x00]))).toBe(1);
  });

  const bad: [string, string, string][] = [
    ['empty', '', 'FRAME_TRUNCATED'],
    ['unknown start', '11', 'FRAME_START'],
    ['short frame cut', '10 5b 01', 'FRAME_TRUNCATED'],
    ['short checksum', '10 5b 01 5d 16', 'FRAME_CHECKSUM'],
    ['short stop', '10 5b 01 5c 17', 'FRAME_STOP'],
    ['L fields differ', '68 03 04 68 08 01 72 7b 16', 'FRAME_LENGTH'],
    ['second start', '68 03 03 69 08 01 72 7b 16', 'FRAME_START'],
    ['long cut', '68 05 05 68 08 01 72 00', 'FRAME_TRUNCATED'],
    ['long checksum', '68 03 03 68 08 01 72 7c 16', 'FRAME_CHECKSUM'],
    ['long stop', '68 03 03 68 08 01 72 7b 15', 'FRAME_STOP'],
    ['trailing bytes', '68 03 03 68 08 01 72 7b 16 00', 'FRAME_LENGTH'],
    ['L < 3', '68 02 02 68 08 01 09 16', 'FRAME_LENGTH'],
    ['ACK with junk', 'e5 e5', 'FRAME_LENGTH'],
  ];
  it.each(bad)('rejects %s with %s', (_n, hex, code) => {
    expect(codeOf(() => parseFrame(fromHex(hex)))).toBe(code);
  });

  it('says which byte holds the bad checksum, with both sides', () => {
    try {
      parseFrame(fromHex('68 03 03 68 08 01 72 7c 16'));
    } catch (e) {
      expect(isGkhError(e, 'FRAME_CHECKSUM')).toBe(true);
      expect((e as { context: unknown }).context).toEqual({ byte: 7, expected: 0x7b, got: 0x7c });
      return;
    }
    throw new Error('expected FRAME_CHECKSUM');
  });
});

describe('secondary addresses', () => {
  it('parses, encodes and matches with wildcards', () => {
    const a = { id: '12345678', manufacturer: 'SEN', version: 4, medium: 4 };
    expect(parseSecondary('12345678SEN0404')).toEqual(a);
    expect(decodeSecondaryMask(encodeSecondaryMask(a))).toEqual(a);
    expect(matchesSecondary(parseSecondary('1234FFFF'), a)).toBe(true);
    expect(matchesSecondary(parseSecondary('1235FFFF'), a)).toBe(false);
    expect(matchesSecondary(parseSecondary('FFFFFFFFSEN04FF'), a)).toBe(true);
    expect(matchesSecondary(parseSecondary('FFFFFFFFKAMFFFF'), a)).toBe(false);
    expect(codeOf(() => parseSecondary('1234'))).toBe('FRAME_DATA');
  });
});

describe('data records (EN 13757-3)', () => {
  it('decodes storage, tariff, subunit from DIF/DIFEs and round-trips the encoder', () => {
    const rec = encodeRecord({ field: 0x04, vif: 0x06, storage: 37, tariff: 2, subunit: 1, value: 123456 });
    const { records } = decodeRecords(rec, 0, 0);
    expect(records[0]).toMatchObject({ storage: 37, tariff: 2, subunit: 1, quantity: 'Energy', unit: 'Wh', value: 123456000, function: 'Instantaneous value' });
  });

  it('applies exponents exactly and keeps BCD signs', () => {
    const d = Buffer.concat([
      encodeRecord({ field: 0x0c, vif: 0x13, value: 12345 }), // 8-digit BCD, 10^-3 m³
      encodeRecord({ field: 0x0a, vif: 0x59, value: -123 }), // 4-digit BCD, negative, 10^-2 °C
      encodeRecord({ field: 0x02, vif: 0x65, value: -250 }), // int16, external temperature 10^-2
      encodeRecord({ field: 0x04, vif: 0x6d, value: encodeDateF(new Date(Date.UTC(2026, 10, 28, 7, 45))) }),
      encodeRecord({ field: 0x02, vif: 0x6c, value: encodeDateG(new Date(Date.UTC(2026, 0, 31))) }),
      encodeRecord({ field: 0x04, vif: 0xfd, vife: [0x17], value: 5 }), // error flags
      encodeRecord({ field: 0x04, vif: 0x13, vife: [0x75], value: 7 }), // ×10^-1 correction
    ]);
    const v = decodeRecords(d, 0, 0).records.map((r) => [r.quantity, r.unit, r.value]);
    expect(v).toEqual([
      ['Volume', 'm³', 12.345],
      ['Flow temperature', '°C', -1.23],
      ['External temperature', '°C', -2.5],
      ['Time point (date & time)', '-', '2026-11-28T07:45:00'],
      ['Time point (date)', '-', '2026-01-31'],
      ['Error flags', '', 5],
      ['Volume', 'm³', 0.0007],
    ]);
  });

  it('gives null, not NaN, for BCD of zero digits (LVAR C0h/D0h; found by the fuzzer)', () => {
    const r = decodeRecords(fromHex('0D 13 C0 0D 13 D0 0D 13 C2 34 12'), 0, 0).records;
    expect(r.map((x) => x.value)).toEqual([null, null, 1.234]);
    expect(r[0]!.notes[0]).toMatch(/zero digits/);
  });

  it('scales big integers without rounding', () => {
    expect(scale('12345', -3)).toBe(12.345);
    expect(scale('9007199254740993', -3)).toBe('9007199254740.993');
    expect(scale('-9007199254740993', 2)).toBe('-900719925474099300');
    expect(scale('3', 0, 60)).toBe(180);
  });

  it('keeps manufacturer-specific data as bytes and flags more records', () => {
    const hdr = encodeLongHeader({ id: '00000001', manufacturer: 'ABC', version: 1, medium: 4, accessNumber: 1, status: 0, signature: 0 });
    const t = decodeTelegram(encodeFrame({ kind: 'long', c: 8, a: 1, ci: 0x72, data: Buffer.concat([hdr, Buffer.from([0x2f, 0x1f, 0xde, 0xad])]) }));
    expect(t.type === 'variable' && t.moreRecordsFollow).toBe(true);
    expect(t.type === 'variable' && t.records.map((r) => [r.function, r.value])).toEqual([['More records follow', 'DE AD']]);
  });

  const badRecords: [string, string][] = [
    ['DIFE missing', '84'],
    ['VIF missing', '04'],
    ['data cut', '04 13 01 02'],
    ['selection for readout in a reply', '08 13'],
    ['global readout in a reply', '7F'],
    ['reserved LVAR', '0D 13 F8'],
    ['11 DIFEs', '84 80 80 80 80 80 80 80 80 80 80 00 13 00 00 00 00'],
  ];
  it.each(badRecords)('rejects %s with FRAME_DATA naming the byte', (_n, hex) => {
    try {
      decodeRecords(fromHex(hex), 0, 19);
    } catch (e) {
      expect(isGkhError(e, 'FRAME_DATA')).toBe(true);
      expect((e as { context: { byte: number } }).context.byte).toBeGreaterThanOrEqual(19);
      return;
    }
    throw new Error('expected FRAME_DATA');
  });

  it('reports an unknown CI as MBUS_UNSUPPORTED and short frames as carrying no data', () => {
    expect(codeOf(() => decodeTelegram(encodeFrame({ kind: 'long', c: 8, a: 1, ci: 0x90, data: Buffer.alloc(0) })))).toBe('MBUS_UNSUPPORTED');
    expect(codeOf(() => decodeTelegram(Buffer.from([0xe5])))).toBe('MBUS_UNSUPPORTED');
  });
});
