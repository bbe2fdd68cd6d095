import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { vectorsDir } from '../../testing.js';
import { ackOptionSelect, bcc, decodeDataMessage, encodeDataMessage, parseDataSets, parseIdentification, signOn } from './codec.js';

interface Vectors {
  requests: { name: string; text: string }[];
  identification: { name: string; text: string; manufacturer: string; baudCode: string; identification: string }[];
  bcc: { name: string; bytes: string; bcc: string }[];
}
const v = JSON.parse(readFileSync(join(vectorsDir(), 'iec62056-21/vectors.json'), 'utf8')) as Vectors;

describe('IEC 62056-21 codec against shared/vectors/iec62056-21', () => {
  it('sign-on requests and ack/option select', () => {
    expect(signOn().toString('latin1')).toBe(v.requests.find((r) => r.name === 'sign-on, no address')!.text);
    expect(signOn('45678903').toString('latin1')).toBe(v.requests.find((r) => r.name.startsWith('sign-on with'))!.text);
    expect(ackOptionSelect('5', '1').toString('latin1')).toBe(v.requests.find((r) => r.name.startsWith('ack'))!.text);
  });

  it('identification', () => {
    for (const t of v.identification) expect(parseIdentification(t.text), t.name).toMatchObject({ manufacturer: t.manufacturer, baudCode: t.baudCode, identification: t.identification });
    expect(() => parseIdentification('Els6X\r\n')).toThrow(expect.objectContaining({ code: 'FRAME_INVALID', context: { byte: 0 } }));
  });

  it('block check characters', () => {
    for (const t of v.bcc) {
      const bytes = Buffer.from(t.bytes, 'latin1');
      expect(String.fromCharCode(bcc(bytes, 1)), t.name).toBe(t.bcc);
    }
  });

  it('data message round trip, a bad BCC names both sides', () => {
    const readout = v.bcc.find((t) => t.name === 'data readout')!;
    const msg = Buffer.concat([Buffer.from(readout.bytes, 'latin1'), Buffer.from(readout.bcc, 'latin1')]);
    expect(encodeDataMessage(decodeDataMessage(msg))).toEqual(msg);
    const bad = Buffer.from(msg);
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    expect(() => decodeDataMessage(bad)).toThrow(expect.objectContaining({ code: 'FRAME_CHECKSUM', context: { byte: bad.length - 1, expected: msg[msg.length - 1], got: bad[bad.length - 1] } }));
    expect(parseDataSets(decodeDataMessage(msg))).toEqual([
      { address: '3:14', raw: '314*kWh', parts: [{ value: '314', unit: 'kWh' }] },
      { address: '4:15', raw: '415*kWh', parts: [{ value: '415', unit: 'kWh' }] },
    ]);
  });

  it('data sets with pairs and empty values', () => {
    expect(parseDataSets('6.8(0029.055*MWh)9.21(66153690)\r\n9.4(098.5*C&082.4*C)6.8.1()\r\n!\r\n')).toEqual([
      { address: '6.8', raw: '0029.055*MWh', parts: [{ value: '0029.055', unit: 'MWh' }] },
      { address: '9.21', raw: '66153690', parts: [{ value: '66153690' }] },
      { address: '9.4', raw: '098.5*C&082.4*C', parts: [{ value: '098.5', unit: 'C' }, { value: '082.4', unit: 'C' }] },
      { address: '6.8.1', raw: '', parts: [] },
    ]);
  });
});
