/**
 * Hourly verdicts: each judged parameter of one hour of one heat system gets ok / below / above / no-data,
 * with the expected value, the measured value, the deviation and the permitted band. Pure functions of the
 * regime map, the hour's values, the site time zone and the averaged outdoor temperature.
 */
import type { RegimeMapConfig, ToleranceConfig } from '../config/index.js';
import { scheduleAt, type ScheduleLimit } from './schedule.js';
import { isNightHour } from './time.js';

/** Parameters a verdict can be about: hourly temperatures/pressures and ΔP = P1 − P2. */
export type RegimeParam = 't1' | 't2' | 't3' | 'P1' | 'P2' | 'dP';
export type VerdictKind = 'ok' | 'below' | 'above' | 'no-data';

/** An hourly value as logged: `{ value, unit }`. */
export interface LoggedValue {
  value: number;
  unit: string;
}
export type HourValues = Partial<Record<string, LoggedValue>>;

/** The verdict for one parameter of one hour. Temperatures °C, pressures MPa. */
export interface ParamVerdict {
  param: RegimeParam;
  verdict: VerdictKind;
  /** Scheduled / contracted value (null when unknown, e.g. no outdoor temperature). */
  expected: number | null;
  measured: number | null;
  /** measured − expected (null when either is unknown). */
  deviation: number | null;
  /** Permitted band [low, high]; null on a side that is not checked. */
  low: number | null;
  high: number | null;
  /** How far outside the band (≥ 0; 0 unless below/above). */
  beyond: number;
  /** Hot water: the allowance applied this hour (°C) and whether it was a night hour. */
  allowance?: number;
  night?: boolean;
  /** Heating T1/T2: what limited the schedule (break point, cut-off, clamping). */
  limit?: ScheduleLimit;
}

/** Input of one hour. `values` is empty for an hour with no record. */
export interface HourInput {
  /** UTC ms of the hour's start. */
  hourStart: number;
  /** Site time zone (IANA). */
  tz: string;
  values: HourValues;
  /** Mean outdoor temperature over the map's averaging window (°C), undefined when no outdoor data. */
  outdoorMean?: number;
}

/** Rounds away binary noise (1e-9) so that logged deviations read as the decimals they are. */
export function clean(x: number): number {
  return Number(x.toFixed(9));
}

/** The permitted band around `expected` for a tolerance (`%` of |expected| or absolute). */
export function band(expected: number, tol: ToleranceConfig): { low: number | null; high: number | null } {
  const scale = tol.unit === 'abs' ? 1 : Math.abs(expected) / 100;
  return {
    low: tol.below === undefined ? null : clean(expected - tol.below * scale),
    high: tol.above === undefined ? null : clean(expected + tol.above * scale),
  };
}

function tighten(a: number | null, b: number | undefined, pick: (x: number, y: number) => number): number | null {
  if (b === undefined) return a;
  return a === null ? b : pick(a, b);
}

function judge(param: RegimeParam, measured: number | undefined, expected: number | null, low: number | null, high: number | null): ParamVerdict {
  if (measured === undefined) return { param, verdict: 'no-data', expected, measured: null, deviation: null, low, high, beyond: 0 };
  const deviation = expected === null ? null : clean(measured - expected);
  if (low !== null && measured < low) return { param, verdict: 'below', expected, measured, deviation, low, high, beyond: clean(low - measured) };
  if (high !== null && measured > high) return { param, verdict: 'above', expected, measured, deviation, low, high, beyond: clean(measured - high) };
  return { param, verdict: 'ok', expected, measured, deviation, low, high, beyond: 0 };
}

function num(values: HourValues, k: string): number | undefined {
  const v = values[k];
  return v !== undefined && Number.isFinite(v.value) ? v.value : undefined;
}

function pressureVerdicts(map: RegimeMapConfig, values: HourValues): ParamVerdict[] {
  const out: ParamVerdict[] = [];
  const p = map.pressure ?? {};
  const one = (param: 'P1' | 'P2', nominal: number | undefined, min: number | undefined, max: number | undefined) => {
    const tol = map.tolerances[param];
    if (nominal === undefined && min === undefined && max === undefined) return;
    let low: number | null = null;
    let high: number | null = null;
    if (nominal !== undefined && tol) ({ low, high } = band(nominal, tol));
    low = tighten(low, min, Math.max);
    high = tighten(high, max, Math.min);
    out.push(judge(param, num(values, param), nominal ?? null, low, high));
  };
  one('P1', p.p1, p.p1Min, p.p1Max);
  one('P2', p.p2, p.p2Min, p.p2Max);
  if (p.dpMin !== undefined) {
    const p1 = num(values, 'P1');
    const p2 = num(values, 'P2');
    const tol = map.tolerances.dP;
    const low = tol ? (band(p.dpMin, tol).low ?? p.dpMin) : p.dpMin;
    out.push(judge('dP', p1 === undefined || p2 === undefined ? undefined : clean(p1 - p2), p.dpMin, low, null));
  }
  return out;
}

/**
 * Verdicts for one hour under `map`.
 * heating: t1 and t2 against the schedule at `outdoorMean` (only parameters with a tolerance are judged;
 *   no outdoor data → no-data, since nothing is expected).
 * hotWater: the hot-water temperature (hotWater.param) against [minTemp − allowance, maxTemp + allowance],
 *   allowance by the site's wall clock (ПП 354 прил. 1 п. 5: night 00:00–05:00 → 5 °C, else 3 °C).
 * Both: P1, P2, ΔP against `pressure` (with tolerances P1/P2/dP) when the map sets them.
 */
export function judgeHour(map: RegimeMapConfig, hour: HourInput): ParamVerdict[] {
  const out: ParamVerdict[] = [];
  if (map.kind === 'hotWater') {
    const hw = map.hotWater;
    const night = isNightHour(hour.hourStart, hour.tz, hw.nightFrom, hw.nightTo);
    const allowance = night ? hw.nightAllowance : hw.dayAllowance;
    const measured = num(hour.values, hw.param);
    const v = judge(hw.param, measured, hw.minTemp, clean(hw.minTemp - allowance), clean(hw.maxTemp + allowance));
    if (v.verdict === 'above') {
      v.expected = hw.maxTemp;
      v.deviation = clean(measured! - hw.maxTemp);
    }
    out.push({ ...v, allowance, night });
  } else if (map.schedule) {
    for (const param of ['t1', 't2'] as const) {
      const tol = map.tolerances[param];
      if (!tol) continue;
      const measured = num(hour.values, param);
      if (hour.outdoorMean === undefined) {
        out.push({ ...judge(param, measured, null, null, null), verdict: 'no-data' });
        continue;
      }
      const s = scheduleAt(map.schedule, hour.outdoorMean, { breakPoint: map.breakPoint, cutOff: map.cutOff });
      const expected = clean(s[param]);
      const { low, high } = band(expected, tol);
      out.push({ ...judge(param, measured, expected, low, high), ...(param === 't1' ? { limit: s.limit } : {}) });
    }
  }
  out.push(...pressureVerdicts(map, hour.values));
  return out;
}

/**
 * Mean outdoor temperature (°C) for the hour starting `hourStart` (UTC ms): the mean of the hourly values
 * of the `hours` hours ending with this one (hours without a value are left out); undefined when none.
 */
export function outdoorMean(series: ReadonlyMap<number, number>, hourStart: number, hours: number): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < hours; i++) {
    const v = series.get(hourStart - i * 3_600_000);
    if (v !== undefined) {
      sum += v;
      n++;
    }
  }
  return n === 0 ? undefined : clean(sum / n);
}
