import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../config/index.js';
import { vectorsDir } from '../testing.js';
import { resolveMap } from './report.js';

const sample = JSON.parse(readFileSync(join(vectorsDir(), 'regime/schedule-sample.json'), 'utf8')) as {
  rows: number[][];
  tolerances_commonly_contracted: { t1_percent: number; t2_above_schedule_percent: number; p1_percent: number };
  hot_water_pp354: { min_temperature_c: number; allowed_deviation_day_c: number; allowed_deviation_night_c: number; night_window: string };
};

describe('regime map schema', () => {
  it('the sample schedule with its commonly contracted tolerances is a valid heating map; defaults filled in', () => {
    const tol = sample.tolerances_commonly_contracted;
    const m = resolveMap({
      id: 'ts1-150-70',
      schedule: sample.rows.map((r) => ({ outdoor: r[0], t1: r[1], t2: r[4] })),
      breakPoint: 70,
      cutOff: 130,
      tolerances: { t1: { below: tol.t1_percent, above: tol.t1_percent }, t2: { above: tol.t2_above_schedule_percent }, P1: { below: tol.p1_percent, above: tol.p1_percent } },
      pressure: { p1: 0.6 },
    });
    expect(m.kind).toBe('heating');
    expect(m.outdoorAveragingHours).toBe(24);
    expect(m.interruption).toEqual({ massAtMost: 0, heating: { monthHours: 24, onceHours: 16, percentPerHour: 0.15 }, hotWater: { monthHours: 8, onceHours: 4, percentPerHour: 0.15 } });
    expect(m.tolerances.t1).toEqual({ below: 3, above: 3, unit: '%' });
  });
  it('hot-water defaults are the ones the vector quotes from ПП 354 / СанПиН', () => {
    const hw = resolveMap({ id: 'gvs', kind: 'hotWater' }).hotWater;
    const s = sample.hot_water_pp354;
    expect([hw.minTemp, hw.dayAllowance, hw.nightAllowance, `${hw.nightFrom}-${hw.nightTo}`]).toEqual([s.min_temperature_c, s.allowed_deviation_day_c, s.allowed_deviation_night_c, s.night_window]);
    expect([hw.coldBelow, hw.stepC, hw.percentPerStep, hw.maxTemp]).toEqual([40, 3, 0.1, 75]);
  });
  it('rejects: heating without a schedule, an unknown tolerance key, a night hour 24:00', () => {
    expect(() => resolveMap({ id: 'x' })).toThrow(expect.objectContaining({ code: 'REGIME_MAP_INVALID' }));
    expect(() => resolveMap({ id: 'gvs', kind: 'hotWater', tolerances: { t3: { above: 1 } } })).toThrow(expect.objectContaining({ code: 'REGIME_MAP_INVALID' }));
    expect(() => resolveMap({ id: 'gvs', kind: 'hotWater', hotWater: { nightTo: '24:00' } })).toThrow(expect.objectContaining({ code: 'REGIME_MAP_INVALID' }));
  });
  it('inside the gateway config a bad map names its JSON path', () => {
    let err: unknown;
    try {
      validateConfig({ gatewayId: 'g', timeZone: 'Asia/Yekaterinburg', dataDir: '.', buses: [], meters: [], regimeMaps: [{ id: 'gvs', kind: 'hotWater', hotWater: { stepRounding: 'round' } }] });
    } catch (e) {
      err = e;
    }
    expect((err as { code: string }).code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toContain('/regimeMaps/0/hotWater/stepRounding');
  });
});
