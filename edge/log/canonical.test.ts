import { describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { canonicalBytes, canonicalize } from './canonical.js';

// Vectors from cyberphone/json-canonicalization (the RFC 8785 reference implementation),
// testdata/input/*.json → testdata/output/*.json. Inputs are parsed with JSON.parse exactly as
// given there, so number and escape parsing is exercised too.
describe('RFC 8785 canonical JSON', () => {
  it('values.json: ES6 numbers, escaping, literals', () => {
    const input = '{\n  "numbers": [1E30, 4.50, 333333333.33333329, 2e-3, 0.000000000000000000000000001],\n  "escaping": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",\n  "literals": [null, true, false]\n}';
    expect(canonicalize(JSON.parse(input))).toBe('{"escaping":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/","literals":[null,true,false],"numbers":[1e+30,4.5,333333333.3333333,0.002,1e-27]}');
  });

  it('weird.json: properties sorted by UTF-16 code units, not locale', () => {
    const input = '{\n  "\\u20ac": "Euro Sign",\n  "1": "One",\n  "\\u0080": "Control\\u007f",\n  "\\ud83d\\ude02": "Smiley",\n  "\\u00f6": "Latin Small Letter O With Diaeresis",\n  "\\ufb33": "Hebrew Letter Dalet With Dagesh",\n  "</script>": "Browser Challenge"\n}\n';
    const want = '{"1":"One","</script>":"Browser Challenge","\u0080":"Control\u007f","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude02":"Smiley","\ufb33":"Hebrew Letter Dalet With Dagesh"}';
    expect(canonicalize(JSON.parse(input))).toBe(want);
  });

  it('arrays.json: nested structures keep array order', () => {
    expect(canonicalize(JSON.parse('[\n  56,\n  {\n    "d": true,\n    "10": null,\n    "1": [ ]\n  }\n]'))).toBe('[56,{"1":[],"10":null,"d":true}]');
  });

  it('README sample in UTF-8 bytes', () => {
    const got = canonicalBytes(JSON.parse('{"numbers":[1E30,4.50,6,2e-3,0.000000000000000000000000001],"escaping":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","other":[null,true,false]}'));
    const want =
      '7b 22 65 73 63 61 70 69 6e 67 22 3a 22 e2 82 ac 24 5c 75 30 30 30 66 5c 6e 41 27 42 5c 22 5c 5c 5c 5c 5c 22 2f 22 2c 22 6e 75 6d 62 65 72 73 22 3a 5b 31 65 2b 33 30 2c 34 2e 35 2c 36 2c 30 2e 30 30 32 2c 31 65 2d 32 37 5d 2c 22 6f 74 68 65 72 22 3a 5b 6e 75 6c 6c 2c 74 72 75 65 2c 66 61 6c 73 65 5d 7d';
    expect(got.toString('hex')).toBe(want.replace(/ /g, ''));
  });

  it('-0 is written as 0; undefined object members are left out', () => {
    expect(canonicalize({ b: -0, a: undefined, c: [1.5] })).toBe('{"b":0,"c":[1.5]}');
  });

  it.each([
    ['NaN', { x: NaN }],
    ['Infinity', [Infinity]],
    ['bigint', { x: 1n }],
    ['Date', { x: new Date(0) }],
    ['Map', new Map()],
    ['undefined in array', [undefined]],
    ['lone surrogate', { x: '\ud800' }],
    ['lone surrogate key', { '\udc00': 1 }],
  ])('refuses %s with LOG_CANONICAL', (_name, v) => {
    let err: unknown;
    try {
      canonicalize(v);
    } catch (e) {
      err = e;
    }
    expect(isGkhError(err, 'LOG_CANONICAL')).toBe(true);
  });
});

describe('fast path', () => {
  it('objects built in key order give the same bytes by both paths', async () => {
    const { hourlyEntry } = await import('./entry.js');
    const e = hourlyEntry('gw', { meterId: 'm', system: 1, hourStart: 3600, values: { t1: { value: 70.5, unit: '°C' }, Q: { value: 0.01, unit: 'Gcal' } }, flags: ['NS'], source: 'archive', rawFrames: ['68 16'], readAt: 5000, meterClock: 3500 }, 'Europe/Moscow', 0);
    expect(canonicalize(e)).toBe(JSON.stringify(e));
    // Same content, keys in another order: the slow path sorts to identical bytes.
    const shuffled = JSON.parse(JSON.stringify(e, Object.keys(e).reverse())) as object;
    const deep = (v: unknown): unknown => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, deep(x)])) : v);
    expect(canonicalize(deep(e))).toBe(canonicalize(e));
    expect(canonicalize(shuffled).length).toBeGreaterThan(0);
    // integer-like keys enumerate first in JS: must not take the fast path wrongly
    expect(canonicalize({ '10': 1, '2': 2, a: 3 })).toBe('{"10":1,"2":2,"a":3}');
  });
});
