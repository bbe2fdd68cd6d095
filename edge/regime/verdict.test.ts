import { describe, expect, it } from 'vitest';
import { verdictChanges } from './events.js';
import { hotWaterHourClaim, interruptionExcessHours, interruptionRuns } from './claims.js';
import { resolveMap } from './report.js';
import { judgeHour, outdoorMean, type HourValues } from './verdict.js';

const H = 3_600_000;
const v = (o: Record<string, number>): HourValues => Object.fromEntries(Object.entries(o).map(([k, x]) => [k, { value: x, unit: k.startsWith('P') ? 'MPa' : '°C' }]));

// Heating map: the sample's 150/70 schedule with the raise, T1 ±3 %, T2 not above +5 %, P1 0.6 MPa ±5 %, ΔP ≥ 0.1 MPa.
const heating = resolveMap({
  id: 'ts1',
  schedule: [
    { outdoor: 10, t1: 80, t2: 33 },
    { outdoor: 0, t1: 85, t2: 45 },
    { outdoor: -15, t1: 123, t2: 60 },
    { outdoor: -25, t1: 146, t2: 69 },
    { outdoor: -28, t1: 150, t2: 70 },
  ],
  cutOff: 130,
  tolerances: { t1: { below: 3, above: 3 }, t2: { above: 5 }, P1: { below: 5, above: 5 } },
  pressure: { p1: 0.6, dpMin: 0.1 },
});
const hotWater = resolveMap({ id: 'gvs', kind: 'hotWater' });
const YEKT = 'Asia/Yekaterinburg'; // UTC+5, no DST
const at = (iso: string) => Date.parse(iso);

describe('heating verdicts against the schedule', () => {
  it('outdoor 0 °C: T1 85 → band [82.45, 87.55]; 82.0 is below by 0.45 (deviation −3); T2 45 → cap 47.25; 48 is above by 0.75', () => {
    const r = judgeHour(heating, { hourStart: at('2026-01-10T10:00:00Z'), tz: YEKT, values: v({ t1: 82, t2: 48, P1: 0.6, P2: 0.45 }), outdoorMean: 0 });
    const t1 = r.find((x) => x.param === 't1')!;
    expect(t1).toMatchObject({ verdict: 'below', expected: 85, measured: 82, deviation: -3, low: 82.45, high: 87.55, beyond: 0.45, limit: 'none' });
    const t2 = r.find((x) => x.param === 't2')!;
    expect(t2).toMatchObject({ verdict: 'above', expected: 45, measured: 48, deviation: 3, low: null, high: 47.25, beyond: 0.75 });
  });
  it('the cut-off sets what is expected: −20 °C → 130 (not 134.5), so 128 is ok (band [126.1, 133.9])', () => {
    const t1 = judgeHour(heating, { hourStart: 0, tz: YEKT, values: v({ t1: 128, t2: 60 }), outdoorMean: -20 }).find((x) => x.param === 't1')!;
    expect(t1).toMatchObject({ verdict: 'ok', expected: 130, low: 126.1, high: 133.9, limit: 'cutOff', beyond: 0 });
  });
  it('pressures: P1 0.6 ±5 % → [0.57, 0.63]; P1 0.6, P2 0.52 gives ΔP 0.08 < 0.1 → dP below by 0.02', () => {
    const r = judgeHour(heating, { hourStart: 0, tz: YEKT, values: v({ t1: 85, t2: 45, P1: 0.6, P2: 0.52 }), outdoorMean: 0 });
    expect(r.find((x) => x.param === 'P1')).toMatchObject({ verdict: 'ok', low: 0.57, high: 0.63 });
    expect(r.find((x) => x.param === 'dP')).toMatchObject({ verdict: 'below', expected: 0.1, measured: 0.08, beyond: 0.02 });
  });
  it('an hour with missing data: every judged parameter is no-data with measured null', () => {
    const r = judgeHour(heating, { hourStart: 0, tz: YEKT, values: {}, outdoorMean: -5 });
    expect(r.map((x) => [x.param, x.verdict, x.measured])).toEqual([
      ['t1', 'no-data', null],
      ['t2', 'no-data', null],
      ['P1', 'no-data', null],
      ['dP', 'no-data', null],
    ]);
    // The schedule is still known, so the expected value is reported: −5 °C → 85 + 38/3.
    expect(r[0]!.expected).toBeCloseTo(97.666667, 5);
  });
  it('no outdoor temperature: nothing is expected, so T1 is no-data even though it was measured', () => {
    const t1 = judgeHour(heating, { hourStart: 0, tz: YEKT, values: v({ t1: 90 }) }).find((x) => x.param === 't1')!;
    expect(t1).toMatchObject({ verdict: 'no-data', expected: null, measured: 90 });
  });
});

describe('outdoor averaging window', () => {
  // Hours 00..03 UTC with −10, −12, (missing), −16 °C.
  const s = new Map([
    [0, -10],
    [H, -12],
    [3 * H, -16],
  ]);
  it('24 h window at 03:00 → mean of the three hours with data: (−10 −12 −16)/3 = −12.667', () => {
    expect(outdoorMean(s, 3 * H, 24)).toBeCloseTo(-12.666667, 5);
  });
  it('2 h window at 03:00 → 02:00 (missing) and 03:00 → −16; window over no data → undefined', () => {
    expect(outdoorMean(s, 3 * H, 2)).toBe(-16);
    expect(outdoorMean(s, 10 * H, 2)).toBeUndefined();
  });
});

describe('hot water (ГВС) allowances in the site time zone (ПП 354 прил. 1 п. 5)', () => {
  // Asia/Yekaterinburg is UTC+5: local 00:00 is 19:00Z of the day before, local 05:00 is 00:00Z.
  const gvs = (iso: string, t: number) => judgeHour(hotWater, { hourStart: at(iso), tz: YEKT, values: v({ t1: t }) })[0]!;
  it('23:00 local (18:00Z) is day: allowance 3 → limit 57; 55.5 is below by 1.5', () => {
    expect(gvs('2026-01-09T18:00:00Z', 55.5)).toMatchObject({ verdict: 'below', night: false, allowance: 3, low: 57, beyond: 1.5 });
  });
  it('00:00 local (19:00Z) is night: allowance 5 → limit 55; 55.5 is ok', () => {
    expect(gvs('2026-01-09T19:00:00Z', 55.5)).toMatchObject({ verdict: 'ok', night: true, allowance: 5, low: 55 });
  });
  it('04:00 local (23:00Z) is still night: 56 ok; 05:00 local (00:00Z) is day: 56 is below 57 by 1', () => {
    expect(gvs('2026-01-09T23:00:00Z', 56)).toMatchObject({ verdict: 'ok', night: true });
    expect(gvs('2026-01-10T00:00:00Z', 56)).toMatchObject({ verdict: 'below', night: false, beyond: 1 });
  });
  it('not UTC: 02:00Z is 07:00 local, a day hour, although 02:00 would be night in UTC', () => {
    expect(gvs('2026-01-10T02:00:00Z', 56)).toMatchObject({ verdict: 'below', night: false });
  });
  it('above: 80 °C by day is beyond 75 + 3 = 78 by 2 (deviation from 75: +5)', () => {
    expect(gvs('2026-01-10T07:00:00Z', 80)).toMatchObject({ verdict: 'above', expected: 75, deviation: 5, high: 78, beyond: 2 });
  });
});

describe('hot-water claim per hour and interruption excess', () => {
  const claim = (iso: string, t: number, map = hotWater) => hotWaterHourClaim(map, judgeHour(map, { hourStart: at(iso), tz: YEKT, values: v({ t1: t }) })[0]!);
  it('day 53 °C: 4 °C beyond 57 → ceil(4/3) = 2 steps (0.2 %); floor rounding gives 1', () => {
    expect(claim('2026-01-10T05:00:00Z', 53)).toEqual({ steps: 2, cold: false });
    expect(claim('2026-01-10T05:00:00Z', 53, resolveMap({ id: 'g', kind: 'hotWater', hotWater: { stepRounding: 'floor' } }))).toEqual({ steps: 1, cold: false });
  });
  it('night 53 °C: 2 °C beyond 55 → 1 step; exactly 3 °C beyond (52 °C) → 1 step either way', () => {
    expect(claim('2026-01-09T21:00:00Z', 53)).toEqual({ steps: 1, cold: false });
    expect(claim('2026-01-09T21:00:00Z', 52)).toEqual({ steps: 1, cold: false });
  });
  it('below 40 °C: billed as cold water, no percentage steps', () => {
    expect(claim('2026-01-10T05:00:00Z', 39.9)).toEqual({ steps: 0, cold: true });
  });
  it('interruption excess (ПП 354 прил. 1 п. 14: 24 h/month, 16 h at once): 20 h → 4; 15 h + 15 h → 6; 30 h → 14', () => {
    const lim = { monthHours: 24, onceHours: 16 };
    expect(interruptionExcessHours([{ start: 0, end: 0, hours: 20 }], lim)).toBe(4);
    expect(interruptionExcessHours([{ start: 0, end: 0, hours: 15 }, { start: 0, end: 0, hours: 15 }], lim)).toBe(6);
    expect(interruptionExcessHours([{ start: 0, end: 0, hours: 30 }], lim)).toBe(14);
  });
  it('runs: hours 0,1,2 and 5 → a 3 h run and a 1 h run', () => {
    expect(interruptionRuns([0, H, 2 * H, 5 * H]).map((r) => r.hours)).toEqual([3, 1]);
  });
});

describe('verdict-change events (regime.verdict)', () => {
  const ctx = { meterId: 'm1', system: 1, mapId: 'ts1', hourStart: at('2026-01-10T10:00:00Z') };
  it('first hour all ok: no events; then T1 below: one event ok → below with the values; same again: nothing', () => {
    const ok = judgeHour(heating, { hourStart: 0, tz: YEKT, values: v({ t1: 85, t2: 45, P1: 0.6, P2: 0.45 }), outdoorMean: 0 });
    const a = verdictChanges({}, ok, ctx);
    expect(a.events).toEqual([]);
    const bad = judgeHour(heating, { hourStart: 0, tz: YEKT, values: v({ t1: 82, t2: 45, P1: 0.6, P2: 0.45 }), outdoorMean: 0 });
    const b = verdictChanges(a.state, bad, ctx);
    expect(b.events).toEqual([
      {
        type: 'regime.verdict',
        body: { meterId: 'm1', system: 1, mapId: 'ts1', hourStart: '2026-01-10T10:00:00.000Z', param: 't1', from: 'ok', to: 'below', expected: 85, measured: 82, deviation: -3, low: 82.45, high: 87.55 },
      },
    ]);
    expect(verdictChanges(b.state, bad, ctx).events).toEqual([]);
  });
  it('a missing hour after good ones: every parameter goes to no-data', () => {
    const ok = judgeHour(heating, { hourStart: 0, tz: YEKT, values: v({ t1: 85, t2: 45, P1: 0.6, P2: 0.45 }), outdoorMean: 0 });
    const s = verdictChanges({}, ok, ctx).state;
    const e = verdictChanges(s, judgeHour(heating, { hourStart: 0, tz: YEKT, values: {}, outdoorMean: 0 }), ctx).events;
    expect(e.map((x) => `${x.body.param}:${x.body.from}→${x.body.to}`)).toEqual(['t1:ok→no-data', 't2:ok→no-data', 'P1:ok→no-data', 'dP:ok→no-data']);
  });
});

describe('judgeRecord: a driver record under the gateway config', () => {
  it('ГВС record at 05:00 local with 56 °C: below (day allowance), one event from nothing to below', async () => {
    const { validateConfig } = await import('../config/index.js');
    const { judgeRecord } = await import('./monitor.js');
    const cfg = validateConfig({
      gatewayId: 'gw',
      timeZone: YEKT,
      dataDir: '/tmp',
      buses: [{ id: 'b', type: 'tcp', host: '192.0.2.1', port: 4001 }],
      meters: [{ id: 'm', bus: 'b', protocol: 'mbus', heatSystems: [{ system: 2, regimeMap: 'gvs' }] }],
      regimeMaps: [{ id: 'gvs', kind: 'hotWater' }],
    });
    const rec = { meterId: 'm', system: 2, hourStart: at('2026-01-10T00:00:00Z') / 1000, values: v({ t1: 56 }), flags: [], source: 'archive' as const, rawFrames: [], readAt: 0 };
    const j = judgeRecord(cfg, rec, new Map(), {})!;
    expect(j.verdicts[0]).toMatchObject({ verdict: 'below', night: false, beyond: 1 });
    expect(j.events.map((e) => [e.body.param, e.body.from, e.body.to, e.body.mapId])).toEqual([['t1', null, 'below', 'gvs']]);
    expect(judgeRecord(cfg, { ...rec, system: 1 }, new Map(), {})).toBeUndefined();
  });
});
