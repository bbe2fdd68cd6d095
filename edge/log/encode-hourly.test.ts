/**
 * encodeHourly writes the canonical text of an hourly entry directly (hourly-text.ts); it must equal
 * the generic RFC 8785 path, canonicalize(hourlyEntry(...)), byte for byte, for any record, fail
 * where it fails, and take the generic path only for records outside the typed shape.
 */
import { describe, expect, it } from 'vitest';
import { canonicalBytes, canonicalize } from './canonical.js';
import { CanonicalEntry, encodeHourly, hourlyEntry, type HourlyRecordLike } from './entry.js';
import { hourlyText } from './hourly-text.js';

function outcome(f: () => string): string {
  try {
    return `ok ${f()}`;
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
}

let seed = 7;
const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)]!;
/** Mostly from `good`, now and then (1 in 40) from `bad`: most records encode, some must fail. */
const mix = <T>(good: readonly T[], bad: readonly T[]): T => (rnd() < 0.025 ? pick(bad) : pick(good));

// Strings that need escaping, non-ASCII of one, two, three and four UTF-8 bytes, lone surrogates.
const GOOD_STRINGS = ['m1', 'heat-1.a_b', '', 'Gcal', '°C', 'm³/h', 'тепло', '€', '😀', 'a"b', 'back\\slash', 'tab\there', 'nl\n', '\u0000', '\u001f', '\u007f', '\u2028', '\ud83d\ude00ok', '</script>'];
const BAD_STRINGS = ['\ud800', 'x\udc00'];
const GOOD_NUMBERS = [0, -0, 1, -1, 0.1, 1e21, 1e-7, 123456789012345680000, 5e-324, 1.7976931348623157e308, 70.12, 45.3, 0.01234, -273.15, 2 ** 53];
const BAD_NUMBERS = [NaN, Infinity, -Infinity];
const str = (): string => mix(GOOD_STRINGS, BAD_STRINGS);
const num = (): number => mix(GOOD_NUMBERS, BAD_NUMBERS);

function randomRecord(): HourlyRecordLike {
  const values: Record<string, { value: number; unit: string }> = {};
  const n = Math.floor(rnd() * 7);
  for (let i = 0; i < n; i++) values[pick(['Q', 'M1', 'M2', 't1', 't2', 'V1', 'hoursNormal', 'é', 'Z', 'a', 'B', str()])] = { value: num(), unit: str() };
  return {
    meterId: str(),
    system: pick([1, 2, 3, 1.5, -0]),
    hourStart: mix([1767225600, 0, 1767225600 + Math.floor(rnd() * 1e5) * 3600, 253402300799, -3600, 1.5], [8.64e12 + 1]),
    values,
    flags: Array.from({ length: Math.floor(rnd() * 3) }, () => str()),
    source: pick(['archive', 'integrated']),
    rawFrames: Array.from({ length: Math.floor(rnd() * 3) }, () => pick(['68 03 03 68 08 01 72 7b 16', '', str()])),
    readAt: mix([1767229265000, 1767229265123.7, 0], [NaN]),
    ...(rnd() < 0.5 ? { meterClock: pick([1767229260, null, 5]) } : {}),
  };
}

describe('encodeHourly', () => {
  it('gives the same text as canonicalize(hourlyEntry(...)) for a driver record', () => {
    const rec = { meterId: 'heat-1', system: 1, hourStart: 1767225600, values: { t1: { value: 70.5, unit: '°C' }, Q: { value: 0.01234, unit: 'Gcal' } }, flags: ['NS:dt<min'], source: 'archive' as const, rawFrames: ['68 03 03 68 08 01 72 7b 16'], readAt: 1767229265000, meterClock: 1767229260 };
    const e = encodeHourly('ekb-lenina-12', rec, 'Asia/Yekaterinburg', 1767229270000);
    expect(e).toBeInstanceOf(CanonicalEntry);
    expect(e.text).toBe(canonicalize(hourlyEntry('ekb-lenina-12', rec, 'Asia/Yekaterinburg', 1767229270000)));
    expect(e.text).toBe(
      '{"at":"2026-01-01T01:01:10.000Z","body":{"flags":["NS:dt<min"],"hourStart":"2026-01-01T00:00:00.000Z","meterClock":"2026-01-01T01:01:00.000Z","meterId":"heat-1","rawFrames":["68 03 03 68 08 01 72 7b 16"],"readAt":"2026-01-01T01:01:05.000Z","source":"archive","system":1,"tz":"Asia/Yekaterinburg","values":{"Q":{"unit":"Gcal","value":0.01234},"t1":{"unit":"°C","value":70.5}}},"gw":"ekb-lenina-12","type":"hourly","v":1}',
    );
    expect(e.value()).toEqual(JSON.parse(e.text));
    expect(e.bytes.equals(canonicalBytes(hourlyEntry('ekb-lenina-12', rec, 'Asia/Yekaterinburg', 1767229270000)))).toBe(true);
    expect(e.prefixed.length).toBe(e.bytes.length + 1);
  });

  it('equals the generic RFC 8785 path on 20,000 random records (escapes, non-ASCII, odd numbers), or fails the same way', () => {
    let encoded = 0;
    for (let i = 0; i < 20_000; i++) {
      const rec = randomRecord();
      const gw = mix(['gw-1', 'a"b', 'тест'], ['\ud800']);
      const tz = pick(['Europe/Moscow', 'Asia/Yekaterinburg', '', 'x\\y']);
      const at = mix([1767229270000, new Date(1767229270000), 0, 1.25], [NaN]);
      const want = outcome(() => canonicalize(hourlyEntry(gw, rec, tz, at)));
      const got = outcome(() => {
        const e = encodeHourly(gw, rec, tz, at);
        // The bytes are checked, not only the text: UTF-8 of non-ASCII and of surrogate pairs.
        if (!e.bytes.equals(Buffer.from(e.text, 'utf8')) || e.prefixed[0] !== 0) throw new Error('bytes differ from the text');
        return e.text;
      });
      if (got !== want) expect({ rec, gw, tz, at, got }).toEqual({ rec, gw, tz, at, got: want });
      if (want.startsWith('ok')) {
        encoded++;
        // …and it was the fast path that wrote them, not the generic fallback.
        const bin = hourlyText(gw, rec, tz, +at);
        if (bin === undefined || !Buffer.from(bin, 'latin1').equals(canonicalBytes(hourlyEntry(gw, rec, tz, at)))) expect({ rec, gw, tz, at, bin }).toBe('written by the fast path');
      }
    }
    expect(encoded).toBeGreaterThan(10_000);
    expect(encoded).toBeLessThan(20_000);
  });

  it('takes the generic path for values outside the typed shape and still agrees', () => {
    // [record fields, whether the fast path writes it itself]
    const odd: [object, boolean][] = [
      [{ values: { Q: { value: undefined, unit: 't' } } }, false],
      [{ values: { Q: { value: 1, unit: 5 } } }, false],
      [{ values: { Q: undefined } }, true],
      [{ flags: [1, null] }, false],
      [{ rawFrames: [{ a: 1 }] }, false],
      [{ meterId: 7 }, false],
      [{ system: '1' }, false],
    ];
    const base = { meterId: 'm', system: 1, hourStart: 0, values: {}, flags: [], source: 'archive', rawFrames: [], readAt: 0 };
    for (const [o, fast] of odd) {
      const rec = { ...base, ...o } as unknown as HourlyRecordLike;
      expect(outcome(() => encodeHourly('gw', rec, 'UTC', 0).text)).toBe(outcome(() => canonicalize(hourlyEntry('gw', rec, 'UTC', 0))));
      expect(hourlyText('gw', rec, 'UTC', 0) !== undefined, JSON.stringify(o)).toBe(fast);
    }
  });

  it('only this module makes a CanonicalEntry', () => {
    const Ctor = CanonicalEntry as unknown as new (t: string, k: symbol) => CanonicalEntry;
    expect(() => new Ctor('{}', Symbol('CanonicalEntry'))).toThrow(/CanonicalEntry\.of or encodeHourly/);
    expect(CanonicalEntry.of({ b: 1, a: [2] }).text).toBe('{"a":[2],"b":1}');
  });
});
