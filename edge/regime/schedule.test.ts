import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isGkhError } from '../errors.js';
import { vectorsDir } from '../testing.js';
import { scheduleAt, type ScheduleRow } from './schedule.js';

// The published 2013-14 schedule sample (shared/vectors/regime): columns tOutdoor, T1 150/70 with the raise
// for hot water, T1 150/70 cut at 130, T1 95/70, T2.
const sample = JSON.parse(readFileSync(join(vectorsDir(), 'regime/schedule-sample.json'), 'utf8')) as { rows: number[][] };
const col = (i: number): ScheduleRow[] => sample.rows.map((r) => ({ outdoor: r[0]!, t1: r[i]!, t2: r[4]! }));
const raise = col(1); // (10, 80, 33) (0, 85, 45) (-15, 123, 60) (-25, 146, 69) (-28, 150, 70)
const s9570 = col(3); // (10, 37, 33) (0, 55, 45) (-15, 79, 60) (-25, 94, 69) (-28, 95, 70)

describe('scheduleAt: linear between rows', () => {
  it('−5 °C lies a third of the way from 0 to −15: T1 = 85 + (123−85)/3 = 97.667, T2 = 45 + 15/3 = 50', () => {
    const s = scheduleAt(raise, -5);
    expect(s.t1).toBeCloseTo(97.6666667, 6);
    expect(s.t2).toBe(50);
    expect(s.limit).toBe('none');
  });
  it('−20 °C is halfway from −15 to −25: T1 = (123+146)/2 = 134.5, T2 = (60+69)/2 = 64.5', () => {
    expect(scheduleAt(raise, -20)).toEqual({ t1: 134.5, t2: 64.5, limit: 'none' });
  });
  it('on a row the row itself: −15 °C → 123 / 60; row order in the table does not matter', () => {
    expect(scheduleAt([...raise].reverse(), -15)).toEqual({ t1: 123, t2: 60, limit: 'none' });
  });
});

describe('scheduleAt: outside the table (clamped)', () => {
  it('+15 °C is warmer than the first row (+10): T1/T2 of +10, i.e. 80 / 33', () => {
    expect(scheduleAt(raise, 15)).toEqual({ t1: 80, t2: 33, limit: 'clampWarm' });
  });
  it('−35 °C is colder than the last row (−28): T1/T2 of −28, i.e. 150 / 70', () => {
    expect(scheduleAt(raise, -35)).toEqual({ t1: 150, t2: 70, limit: 'clampCold' });
  });
});

describe('scheduleAt: break point («излом») and cut-off («срезка»)', () => {
  it('95/70 with a 60 °C floor at +5 °C: the table gives 37 + (55−37)/2 = 46, the floor lifts T1 to 60; T2 stays 39', () => {
    expect(scheduleAt(s9570, 5, { breakPoint: 60 })).toEqual({ t1: 60, t2: 39, limit: 'breakPoint' });
  });
  it('exactly at the break point: at −3.125 °C the table gives 55 + 24·3.125/15 = 60.000, not limited', () => {
    const s = scheduleAt(s9570, -3.125, { breakPoint: 60 });
    expect(s).toEqual({ t1: 60, t2: 45 + (15 * 3.125) / 15, limit: 'none' });
  });
  it('below the break point\'s reach the schedule rules: −15 °C → 79', () => {
    expect(scheduleAt(s9570, -15, { breakPoint: 60 }).t1).toBe(79);
  });
  it('150/70 cut at 130: −20 °C gives 134.5 from the table, capped to 130; T2 stays 64.5', () => {
    expect(scheduleAt(raise, -20, { cutOff: 130 })).toEqual({ t1: 130, t2: 64.5, limit: 'cutOff' });
  });
  it('the cap reproduces the sample\'s own "cut at 130" column where it binds (−25 and −28 °C → 130)', () => {
    for (const r of sample.rows.filter((x) => x[0]! <= -25)) expect(scheduleAt(raise, r[0]!, { cutOff: 130 }).t1).toBe(r[2]);
  });
  it('exactly at the cut-off: −25 °C on a table cut at 146 gives 146, not limited', () => {
    expect(scheduleAt(raise, -25, { cutOff: 146 })).toEqual({ t1: 146, t2: 69, limit: 'none' });
  });
  it('cut-off beyond the cold end: −35 °C clamps to 150, then the cap gives 130', () => {
    expect(scheduleAt(raise, -35, { breakPoint: 70, cutOff: 130 })).toEqual({ t1: 130, t2: 70, limit: 'cutOff' });
  });
});

describe('scheduleAt: bad tables', () => {
  it('two rows for one outdoor temperature: REGIME_SCHEDULE naming it', () => {
    let err: unknown;
    try {
      scheduleAt([{ outdoor: 0, t1: 80, t2: 40 }, { outdoor: 0, t1: 90, t2: 45 }], -1);
    } catch (e) {
      err = e;
    }
    expect(isGkhError(err, 'REGIME_SCHEDULE')).toBe(true);
    expect((err as { context: { outdoor: number } }).context.outdoor).toBe(0);
  });
});
