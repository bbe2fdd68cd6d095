/**
 * What the rules allow to claim for a month (ПП 354 приложение 1), as pure functions of hourly verdicts
 * and interruption runs. Results are percentages of the month's charge for the service; the charge
 * itself is not in the log, so money is left to the billing side.
 */
import type { InterruptionLimitsConfig, RegimeMapConfig } from '../config/index.js';
import { clean, type ParamVerdict } from './verdict.js';

/** A continuous interruption: hours [start, end) UTC ms. */
export interface Interruption {
  start: number;
  end: number;
  hours: number;
}

/**
 * Hours of interruption beyond the limits (ПП 354 прил. 1 п. 4 for ГВС, п. 14 for heating): the larger of
 * (total − monthHours) and Σ max(0, run − onceHours). Both limits bound the same hours, so the larger
 * excess is claimed once, never the sum (a single 20 h heating stop: 20 − 16 = 4 h; two stops of 15 h:
 * 30 − 24 = 6 h; one of 30 h: max(6, 14) = 14 h).
 */
export function interruptionExcessHours(runs: readonly Interruption[], limits: Pick<InterruptionLimitsConfig, 'monthHours' | 'onceHours'>): number {
  const total = runs.reduce((s, r) => s + r.hours, 0);
  const once = runs.reduce((s, r) => s + Math.max(0, r.hours - limits.onceHours), 0);
  return Math.max(0, total - limits.monthHours, once);
}

/** Continuous runs of interrupted hours (hour starts in UTC ms, sorted). */
export function interruptionRuns(hourStarts: readonly number[]): Interruption[] {
  const runs: Interruption[] = [];
  for (const h of hourStarts) {
    const last = runs[runs.length - 1];
    if (last && last.end === h) {
      last.end = h + 3_600_000;
      last.hours++;
    } else runs.push({ start: h, end: h + 3_600_000, hours: 1 });
  }
  return runs;
}

/** The hot-water claim of one hour (ПП 354 прил. 1 п. 5). */
export interface HotWaterHourClaim {
  /** Steps of `stepC` beyond the allowance (0 when within it or billed as cold water). */
  steps: number;
  /** True when the temperature was below `coldBelow`: the hour is billed at the cold-water tariff. */
  cold: boolean;
}

/**
 * ПП 354 прил. 1 п. 5: "за каждые 3 °C отступления от допустимых отклонений температуры горячей воды размер
 * платы … снижается на 0,1 процента … за каждый час отступления"; "при снижении температуры горячей воды
 * ниже 40 °C оплата потребленной воды производится по тарифу за холодную воду".
 * `v` is the verdict of the hot-water parameter; `beyond` is how far outside [min − allowance, max + allowance].
 */
export function hotWaterHourClaim(map: RegimeMapConfig, v: ParamVerdict): HotWaterHourClaim {
  if (v.verdict !== 'below' && v.verdict !== 'above') return { steps: 0, cold: false };
  const hw = map.hotWater;
  if (v.verdict === 'below' && v.measured !== null && v.measured < hw.coldBelow) return { steps: 0, cold: true };
  const ratio = clean(v.beyond / hw.stepC);
  const steps = hw.stepRounding === 'ceil' ? Math.ceil(ratio) : Math.floor(ratio);
  return { steps, cold: false };
}
