/**
 * The temperature schedule («температурный график») as a pure function: outdoor t → scheduled T1, T2.
 * Linear interpolation between rows, clamped beyond the first and last row; then the break point
 * («излом», a floor under T1 so hot water can be prepared) and the cut-off («срезка», a cap on T1).
 * T2 is not changed by the break point or the cut-off: the schedule's T2 column stays as contracted.
 */
import { GkhError } from '../errors.js';

/** One row of the schedule (°C). */
export interface ScheduleRow {
  outdoor: number;
  t1: number;
  t2: number;
}

/** What limited the scheduled T1, if anything. */
export type ScheduleLimit = 'none' | 'clampWarm' | 'clampCold' | 'breakPoint' | 'cutOff';

/** Scheduled temperatures for one outdoor temperature (°C). */
export interface ScheduledTemps {
  t1: number;
  t2: number;
  /** `clampWarm`/`clampCold`: outdoor t beyond the table's warm/cold end; `breakPoint`/`cutOff`: T1 floored/capped. */
  limit: ScheduleLimit;
}

/** Rows sorted from warm to cold; throws REGIME_SCHEDULE when two rows share an outdoor temperature. */
export function sortSchedule(rows: readonly ScheduleRow[]): ScheduleRow[] {
  if (rows.length < 2) throw new GkhError('REGIME_SCHEDULE', `a schedule needs at least 2 rows, found ${rows.length}`, { rows: rows.length });
  const sorted = [...rows].sort((a, b) => b.outdoor - a.outdoor);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.outdoor === sorted[i - 1]!.outdoor) throw new GkhError('REGIME_SCHEDULE', `two schedule rows for outdoor ${sorted[i]!.outdoor} °C`, { outdoor: sorted[i]!.outdoor });
  }
  return sorted;
}

/** Linear interpolation of y at x between (x0, y0) and (x1, y1). */
function lerp(x: number, x0: number, y0: number, x1: number, y1: number): number {
  return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
}

/**
 * Scheduled T1/T2 (°C) at outdoor temperature `outdoor` (°C).
 * `breakPoint`: T1 = max(T1, breakPoint); `cutOff`: T1 = min(T1, cutOff) (the cut-off wins if both bind).
 */
export function scheduleAt(rows: readonly ScheduleRow[], outdoor: number, opts: { breakPoint?: number; cutOff?: number } = {}): ScheduledTemps {
  const s = sortSchedule(rows);
  const warm = s[0]!;
  const cold = s[s.length - 1]!;
  let t1: number;
  let t2: number;
  let limit: ScheduleLimit = 'none';
  if (outdoor >= warm.outdoor) {
    ({ t1, t2 } = warm);
    if (outdoor > warm.outdoor) limit = 'clampWarm';
  } else if (outdoor <= cold.outdoor) {
    ({ t1, t2 } = cold);
    if (outdoor < cold.outdoor) limit = 'clampCold';
  } else {
    let i = 1;
    while (s[i]!.outdoor > outdoor) i++;
    const a = s[i - 1]!;
    const b = s[i]!;
    t1 = lerp(outdoor, a.outdoor, a.t1, b.outdoor, b.t1);
    t2 = lerp(outdoor, a.outdoor, a.t2, b.outdoor, b.t2);
  }
  if (opts.breakPoint !== undefined && t1 < opts.breakPoint) {
    t1 = opts.breakPoint;
    limit = 'breakPoint';
  }
  if (opts.cutOff !== undefined && t1 > opts.cutOff) {
    t1 = opts.cutOff;
    limit = 'cutOff';
  }
  return { t1, t2, limit };
}
