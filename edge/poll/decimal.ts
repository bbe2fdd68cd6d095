/** Exact decimal arithmetic at the meters' own resolution (no float re-rounding of what was read). */

/** Digits after the decimal point of a number as JavaScript prints it (1.25 → 2, 1e-7 → 7). */
export function decimals(x: number): number {
  const s = String(x);
  const e = /e-(\d+)$/.exec(s);
  if (e) {
    const mant = s.slice(0, s.indexOf('e'));
    const dot = mant.indexOf('.');
    return Number(e[1]) + (dot < 0 ? 0 : mant.length - dot - 1);
  }
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** a − b, exact to the finer resolution of the two (12345.678 − 12345.001 = 0.677, not 0.6769999…). */
export function sub(a: number, b: number): number {
  const d = Math.min(20, Math.max(decimals(a), decimals(b)));
  return Number((a - b).toFixed(d));
}

/** Mean of values, rounded to one more digit than the finest input (t1 70.25 and 70.3 → 70.275). */
export function mean(xs: number[]): number {
  const d = Math.min(20, Math.max(0, ...xs.map(decimals)) + 1);
  return Number((xs.reduce((s, x) => s + x, 0) / xs.length).toFixed(d));
}
