/**
 * Conformance against libmbus's test frames (../shared/vectors/mbus/libmbus): every test frame is decoded
 * and compared field by field with libmbus's normalised output (`*.norm.xml`): header (id, manufacturer,
 * version, medium, access number, status, signature) and, per record, function, storage number, tariff,
 * subunit, unit, quantity and value.
 *
 * Representation rules (same information, different spelling — applied to every frame):
 *  - units: libmbus writes `m^3`, we write `m³`;
 *  - time points: libmbus appends `Z` to type F date-times. EN 13757-3 type F carries no time zone (it is
 *    the meter's local wall time), so we print none; the driver converts it with the site's time zone;
 *  - numbers: libmbus prints `%f` (6 decimals), compared within half a unit of the 6th decimal;
 *  - id: libmbus prints the BCD id without leading zeros;
 *  - libmbus's "More than 10 DIFE´s" is our "More than 10 DIFEs".
 *
 * DEVIATIONS lists the records where libmbus is wrong by EN 13757-3; there we assert our value instead.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGkhError } from '../../errors.js';
import { vectorsDir } from '../../testing.js';
import { decodeTelegram, parseHex, type MbusRecord, type Telegram } from './index.js';

const root = join(vectorsDir(), 'mbus', 'libmbus');
const tag = (s: string, t: string): string | undefined => new RegExp(`<${t}>([\\s\\S]*?)</${t}>`).exec(s)?.[1];
const unxml = (s: string): string => s.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>');

type Field = 'function' | 'storage' | 'tariff' | 'subunit' | 'unit' | 'quantity' | 'value';
interface Deviation {
  frame: string;
  record: number;
  /** What we decode instead (only these fields differ from libmbus). */
  ours: Partial<Pick<MbusRecord, Field>>;
  reason: string;
}

const ZERO_DATE = 'type G date 00 00 has day 0 and month 0: not a date (EN 13757-3 Annex A, day 1–31, month 1–12); libmbus prints "2000-00-00", we give null with a note';
const PULSE = 'VIFE 28h = "increment per input pulse on input channel #0" (EN 13757-3 Table 15): the value is a pulse weight in m³ per pulse, not a volume register; libmbus ignores the VIFE and reports plain m³';
const BAD_BCD = 'DIF function 11b (value during error state) with BCD digits A–E ("--------" on the display): not a number (EN 13757-3 Annex A type A); libmbus decodes the hex digits as decimal';
const LIMIT_DATE = 'VIFE 6Fh = "date (/time) of end of last limit exceed" (EN 13757-3 Table 15, E110 1f1b): the data is a type F time point, not power/flow/temperature; libmbus ignores the VIFE';
const FIXED = 'CI 73h fixed data structure (EN 1434-3): libmbus prints the raw counter and unit name (kWh, l, "reserved but historic") without normalising; we normalise like the variable structure (kWh → Wh ×1000, l → m³ ×0.001) and read unit code 3Eh as "same unit as counter 1, historic value" (storage 1)';

const DEVIATIONS: Deviation[] = [
  { frame: 'ACW_Itron-BM-plus-m', record: 2, ours: { value: null }, reason: ZERO_DATE },
  { frame: 'itron_bm_+m', record: 2, ours: { value: null }, reason: ZERO_DATE },
  { frame: 'siemens_water', record: 3, ours: { value: null }, reason: ZERO_DATE },
  { frame: 'siemens_wfh21', record: 3, ours: { value: null }, reason: ZERO_DATE },
  { frame: 'EFE_Engelmann-Elster-SensoStar-2', record: 24, ours: { unit: 'm³/pulse (input 0)' }, reason: PULSE },
  { frame: 'EFE_Engelmann-WaterStar', record: 11, ours: { unit: 'm³/pulse (input 0)' }, reason: PULSE },
  { frame: 'engelmann_sensostar2c', record: 13, ours: { unit: 'm³/pulse (input 0)' }, reason: PULSE },
  { frame: 'ELS_Elster-F96-Plus', record: 4, ours: { value: null }, reason: BAD_BCD },
  { frame: 'ELS_Elster-F96-Plus', record: 5, ours: { value: null }, reason: BAD_BCD },
  { frame: 'abb_f95', record: 2, ours: { value: null }, reason: BAD_BCD },
  { frame: 'abb_f95', record: 3, ours: { value: null }, reason: BAD_BCD },
  {
    frame: 'REL-Relay-Padpuls2',
    record: 1,
    ours: { value: null },
    reason: 'type F minute byte A1h has the IV (invalid) bit 7 set (EN 13757-3 Annex A): the time point is invalid; libmbus prints "1900-01-00T00:00:00Z"',
  },
  { frame: 'landis+gyr_ultraheat_t230', record: 19, ours: { unit: '-', value: null }, reason: `${LIMIT_DATE}; data 00 00 00 00 is no valid date` },
  { frame: 'landis+gyr_ultraheat_t230', record: 20, ours: { unit: '-', value: null }, reason: `${LIMIT_DATE}; data 00 00 00 00 is no valid date` },
  { frame: 'landis+gyr_ultraheat_t230', record: 21, ours: { unit: '-', value: '2011-08-26T20:50:00' }, reason: LIMIT_DATE },
  { frame: 'landis+gyr_ultraheat_t230', record: 22, ours: { unit: '-', value: '2011-08-09T11:43:00' }, reason: LIMIT_DATE },
  {
    frame: 'landis+gyr_ultraheat_t230',
    record: 32,
    ours: { value: null },
    reason: 'type F data 00 00 E1 F1 has year 127 (7 bits all ones = not set); EN 13757-3 years are 0–99; libmbus prints "2027-01-01T00:00:00Z"',
  },
  { frame: 'manual_frame2', record: 0, ours: { function: 'Instantaneous value', unit: 'm³', quantity: 'Volume', value: 0.001 }, reason: FIXED },
  { frame: 'manual_frame2', record: 1, ours: { function: 'Instantaneous value', unit: 'm³', quantity: 'Volume', value: 0.135, storage: 1 }, reason: FIXED },
  { frame: 'sen_pollusonic_2', record: 0, ours: { function: 'Instantaneous value', unit: 'Wh', quantity: 'Energy', value: 6531000 }, reason: FIXED },
  { frame: 'sen_pollusonic_2', record: 1, ours: { function: 'Instantaneous value', unit: 'm³', quantity: 'Volume', value: 0.069 }, reason: FIXED },
];

function sameValue(xml: string, ours: MbusRecord['value']): boolean {
  const x = unxml(xml);
  if (typeof ours === 'number') {
    const n = Number(x);
    return x.trim() !== '' && Math.abs(n - ours) <= 5e-7 + 1e-12 * Math.abs(n);
  }
  if (typeof ours === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(ours)) return x === `${ours}Z`;
  if (typeof ours === 'string' && /^-?\d+(\.\d+)?$/.test(ours)) return Number(x) === Number(ours);
  return x === (ours ?? '');
}

const frames = readdirSync(join(root, 'test-frames'))
  .filter((f) => f.endsWith('.hex'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('libmbus test-frames, field by field against *.norm.xml', () => {
  it('has the 76 frames', () => expect(frames.length).toBe(76));

  it.each(frames)('%s', (name) => {
    const t: Telegram = decodeTelegram(parseHex(readFileSync(join(root, 'test-frames', `${name}.hex`), 'utf8')));
    const xml = readFileSync(join(root, 'test-frames', `${name}.norm.xml`), 'utf8');
    if (t.type !== 'variable' && t.type !== 'fixed') throw new Error(`${name}: decoded as ${t.type}`);
    const si = tag(xml, 'SlaveInformation')!;
    const h = t.header;
    const hdr = {
      Id: h.id?.replace(/^0+(?=.)/, ''),
      Manufacturer: h.manufacturer,
      Version: h.version === undefined ? undefined : String(h.version),
      Medium: h.mediumName,
      AccessNumber: String(h.accessNumber),
      Status: h.status.toString(16).toUpperCase().padStart(2, '0'),
      Signature: h.signature.toString(16).toUpperCase().padStart(4, '0'),
    };
    for (const [k, ours] of Object.entries(hdr)) {
      const x = tag(si, k);
      if (x !== undefined) expect(ours, `${name} header ${k}`).toBe(unxml(x));
    }
    const recs = [...xml.matchAll(/<DataRecord id="(\d+)">([\s\S]*?)<\/DataRecord>/g)].map((m) => m[2]!);
    expect(t.records.length, `${name} record count`).toBe(recs.length);
    recs.forEach((r, i) => {
      const ours = t.records[i]!;
      const dev = DEVIATIONS.find((d) => d.frame === name && d.record === i);
      const at = `${name} record ${i} [${ours.raw}]`;
      const expectField = (f: Field, xmlTag: string, theirs: string | undefined, conv: (s: string) => unknown = (s) => s): void => {
        if (dev && f in dev.ours) {
          expect(ours[f], `${at} ${f} (deviation: ${dev.reason})`).toEqual(dev.ours[f]);
          return;
        }
        if (theirs === undefined) return;
        if (f === 'value') expect(sameValue(theirs, ours.value), `${at} value: libmbus ${theirs}, ours ${String(ours.value)}`).toBe(true);
        else expect(ours[f], `${at} ${f} (<${xmlTag}>)`).toEqual(conv(theirs));
      };
      expectField('function', 'Function', tag(r, 'Function'));
      expectField('storage', 'StorageNumber', tag(r, 'StorageNumber'), Number);
      expectField('tariff', 'Tariff', tag(r, 'Tariff'), Number);
      expectField('subunit', 'Device', tag(r, 'Device'), Number);
      expectField('unit', 'Unit', tag(r, 'Unit'), (s) => unxml(s).replace(/\^3/g, '³'));
      expectField('quantity', 'Quantity', tag(r, 'Quantity'), unxml);
      expectField('value', 'Value', tag(r, 'Value'));
    });
  });

  it('every deviation names a real record that differs from libmbus', () => {
    for (const d of DEVIATIONS) {
      expect(frames, d.frame).toContain(d.frame);
      const xml = readFileSync(join(root, 'test-frames', `${d.frame}.norm.xml`), 'utf8');
      const r = [...xml.matchAll(/<DataRecord id="(\d+)">([\s\S]*?)<\/DataRecord>/g)][d.record]![2]!;
      const differs = Object.entries(d.ours).some(([f, v]) => {
        const x = tag(r, { function: 'Function', storage: 'StorageNumber', tariff: 'Tariff', subunit: 'Device', unit: 'Unit', quantity: 'Quantity', value: 'Value' }[f as Field]);
        return f === 'value' ? !sameValue(x ?? '', v as MbusRecord['value']) : String(v) !== unxml(x ?? '').replace(/\^3/g, '³');
      });
      expect(differs, `${d.frame} #${d.record}`).toBe(true);
    }
    expect(new Set(DEVIATIONS.map((d) => d.frame)).size).toBeLessThanOrEqual(13);
  });
});

describe('libmbus error-frames', () => {
  const dir = join(root, 'error-frames');
  const files = readdirSync(dir).filter((f) => f.endsWith('.hex')).sort();
  it('has the 20 frames', () => expect(files.length).toBe(20));
  it.each(files)('%s is rejected with a typed error naming the byte, or decodes to the application error it reports', (f) => {
    const bytes = parseHex(readFileSync(join(dir, f), 'utf8'));
    let t: Telegram | undefined;
    let err: unknown;
    try {
      t = decodeTelegram(bytes);
    } catch (e) {
      err = e;
    }
    const xmlPath = join(dir, f.replace(/\.hex$/, '.xml'));
    const expected = readdirSync(dir).includes(f.replace(/\.hex$/, '.xml')) ? tag(readFileSync(xmlPath, 'utf8'), 'Error') : undefined;
    if (expected !== undefined) {
      expect(err).toBeUndefined();
      expect(t?.type).toBe('error');
      if (t?.type === 'error') expect(t.error.text).toBe(expected.replace('´s', 's'));
    } else {
      expect(t, `${f} decoded although broken`).toBeUndefined();
      expect(isGkhError(err, 'FRAME_'), String(err)).toBe(true);
      const ctx = (err as { context: { byte?: number } }).context;
      expect(typeof ctx.byte).toBe('number');
      expect((err as Error).message).toMatch(/byte \d+/);
    }
  });
});

describe('libmbus unsupported-frames', () => {
  const dir = join(root, 'unsupported-frames');
  const files = readdirSync(dir).filter((f) => f.endsWith('.hex')).sort();
  it.each(files)('%s gives a typed error or a decode that accounts for every byte', (f) => {
    let t: Telegram | undefined;
    try {
      t = decodeTelegram(parseHex(readFileSync(join(dir, f), 'utf8')));
    } catch (e) {
      expect(isGkhError(e, 'FRAME_') || isGkhError(e, 'MBUS_'), String(e)).toBe(true);
      return;
    }
    // A decode: records cover the user data, manufacturer data is kept as bytes, no number is invented.
    expect(t.type === 'variable' || t.type === 'command').toBe(true);
    if (t.type === 'variable' || t.type === 'command') {
      expect(t.records.length).toBeGreaterThan(0);
      for (const r of t.records) expect(r.raw.length).toBeGreaterThan(0);
    }
  });

  it('decodes the master frames exactly (SND_UD CI 51: set address, enhanced id)', () => {
    const t4 = decodeTelegram(parseHex(readFileSync(join(dir, 'manual_frame4.hex'), 'utf8')));
    expect(t4.type === 'command' && t4.records.map((r) => [r.quantity, r.value])).toEqual([['Bus Address', 8]]);
    const t5 = decodeTelegram(parseHex(readFileSync(join(dir, 'manual_frame5.hex'), 'utf8')));
    // 64-bit integer 0x0401402401020304 exceeds 2^53: kept as an exact decimal string.
    expect(t5.type === 'command' && t5.records[0]!.value).toBe('288582374508331780');
    const t6 = decodeTelegram(parseHex(readFileSync(join(dir, 'manual_frame6.hex'), 'utf8')));
    expect(t6.type === 'command' && t6.records.map((r) => [r.quantity, r.unit, r.value])).toEqual([
      ['(Enhanced) Identification', '', 12345678],
      ['Energy', 'Wh', 107000],
    ]);
  });
});
