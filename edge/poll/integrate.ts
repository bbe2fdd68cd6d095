/** Derives an `integrated` hourly record from two boundary samples of cumulative registers. */
import type { HourlyParam, HourlyRecord, Measured } from '../drivers/types.js';
import { mean, sub } from './decimal.js';
import type { Sample } from './samples.js';

/** Cumulative registers: the hour's value is the difference between the boundaries. */
const CUMULATIVE: HourlyParam[] = ['Q', 'M1', 'M2', 'V1', 'V2'];
/** Instantaneous values: the hour's value is the mean of the two boundary readings (flagged as such). */
const INSTANT: HourlyParam[] = ['t1', 't2', 't3', 'P1', 'P2', 'tOutdoor'];

/**
 * The record for [a.boundary, b.boundary) (one hour). A register whose unit changed or that went
 * backwards (meter replaced or reset) is left out and flagged, never guessed.
 */
export function integrate(a: Sample, b: Sample, readAt: number): HourlyRecord {
  const values: Partial<Record<HourlyParam, Measured>> = {};
  const flags: string[] = [];
  for (const k of CUMULATIVE) {
    const x = a.values[k];
    const y = b.values[k];
    if (!x || !y) continue;
    if (x.unit !== y.unit) {
      flags.push(`unit-changed:${k}`);
      continue;
    }
    const d = sub(y.value, x.value);
    if (d < 0) {
      flags.push(`register-decreased:${k}`);
      continue;
    }
    values[k] = { value: d, unit: y.unit };
  }
  for (const k of INSTANT) {
    const x = a.values[k];
    const y = b.values[k];
    if (x && y && x.unit === y.unit) values[k] = { value: mean([x.value, y.value]), unit: y.unit };
  }
  if (Object.keys(values).some((k) => INSTANT.includes(k as HourlyParam))) flags.push('instant-mean-of-boundaries');
  return {
    meterId: b.meterId,
    system: b.system,
    hourStart: a.boundary,
    values,
    flags,
    source: 'integrated',
    rawFrames: [...a.rawFrames, ...b.rawFrames],
    readAt,
  };
}
