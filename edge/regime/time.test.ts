import { describe, expect, it } from 'vitest';
import { isNightHour, localDate, localMidnightUtc } from './time.js';

describe('site time via Intl', () => {
  it('local midnight of 1 Feb 2026 in Yekaterinburg (UTC+5) is 2026-01-31T19:00Z', () => {
    expect(new Date(localMidnightUtc(2026, 2, 1, 'Asia/Yekaterinburg')).toISOString()).toBe('2026-01-31T19:00:00.000Z');
  });
  it('a zone with DST: March 2026 in Berlin starts 2026-02-28T23:00Z and ends 2026-03-31T22:00Z → 743 hours', () => {
    const a = localMidnightUtc(2026, 3, 1, 'Europe/Berlin');
    const b = localMidnightUtc(2026, 4, 1, 'Europe/Berlin');
    expect(new Date(a).toISOString()).toBe('2026-02-28T23:00:00.000Z');
    expect(new Date(b).toISOString()).toBe('2026-03-31T22:00:00.000Z');
    expect((b - a) / 3_600_000).toBe(743);
  });
  it('month overflow: month 13 is January of the next year', () => {
    expect(new Date(localMidnightUtc(2026, 13, 1, 'Asia/Vladivostok')).toISOString()).toBe('2026-12-31T14:00:00.000Z');
  });
  it('night window wrapping midnight (23:00–06:00) and the local date of an instant', () => {
    const tz = 'Europe/Moscow'; // UTC+3
    expect(isNightHour(Date.parse('2026-01-10T20:00:00Z'), tz, '23:00', '06:00')).toBe(true); // 23:00 local
    expect(isNightHour(Date.parse('2026-01-10T19:00:00Z'), tz, '23:00', '06:00')).toBe(false); // 22:00 local
    expect(isNightHour(Date.parse('2026-01-11T02:00:00Z'), tz, '23:00', '06:00')).toBe(true); // 05:00 local
    expect(isNightHour(Date.parse('2026-01-11T03:00:00Z'), tz, '23:00', '06:00')).toBe(false); // 06:00 local
    expect(localDate(Date.parse('2026-01-10T21:30:00Z'), tz)).toBe('2026-01-11');
  });
});
