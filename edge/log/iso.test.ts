import { describe, expect, it } from 'vitest';
import { isoUtc } from './iso.js';

describe('isoUtc', () => {
  it('equals Date.prototype.toISOString on edges: epoch, leap days, century rules, year 9999, out of range', () => {
    const edges = [
      0, 1, 999, 1000, 59_999, 86_399_999, 86_400_000,
      Date.UTC(2000, 1, 29), Date.UTC(2000, 2, 1) - 1, Date.UTC(1900, 1, 28), Date.UTC(1900, 2, 1), Date.UTC(2100, 1, 28, 23, 59, 59, 999), Date.UTC(2100, 2, 1),
      Date.UTC(2024, 1, 29, 12), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(1970, 0, 1), Date.UTC(1600, 1, 29), Date.UTC(400, 1, 29),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999), 253402300800000, -1, -62198755200000, 1.5, 8.64e15,
    ];
    for (const ms of edges) expect(isoUtc(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it('equals toISOString for 200,000 random instants in years 0000–9999', () => {
    let seed = 12345;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let i = 0; i < 200_000; i++) {
      const ms = Math.floor(rnd() * 2 ** 31) * 117_990 + Math.floor(rnd() * 117_990);
      if (ms >= 253402300800000) continue;
      if (isoUtc(ms) !== new Date(ms).toISOString()) expect(isoUtc(ms), String(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('throws the same RangeError as Date for invalid times', () => {
    expect(() => isoUtc(NaN)).toThrow(RangeError);
    expect(() => isoUtc(8.64e15 + 1)).toThrow(RangeError);
  });
});
