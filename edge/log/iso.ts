/**
 * `isoUtc(ms)` is exactly `new Date(ms).toISOString()`, about 3x faster for the times the log
 * writes (integer milliseconds in years 0000–9999): an hourly entry carries three or four of them,
 * and V8's Date formatting was a tenth of the append cost. Anything else falls back to Date.
 */

const P2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const P3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** 10000-01-01T00:00:00.000Z: from here on toISOString writes six-digit years. */
const YEAR_10000 = 253402300800000;
const DAY = 86_400_000;

/** The last day formatted (entries of one batch mostly share their days). */
let lastDay = -1;
let lastDate = '';

/** Same string as `new Date(ms).toISOString()` (and throws the same RangeError for invalid times). */
export function isoUtc(ms: number): string {
  if (!(ms >= 0 && ms < YEAR_10000) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const days = Math.floor(ms / DAY);
  if (days !== lastDay) {
    lastDate = civilDate(days);
    lastDay = days;
  }
  let rem = ms - days * DAY;
  const h = Math.floor(rem / 3_600_000);
  rem -= h * 3_600_000;
  const mi = Math.floor(rem / 60_000);
  rem -= mi * 60_000;
  const s = Math.floor(rem / 1000);
  const f = rem - s * 1000;
  return `${lastDate}T${P2[h]!}:${P2[mi]!}:${P2[s]!}.${P3[f]!}Z`;
}

/** `YYYY-MM-DD` of a day number since 1970-01-01 (years 0000–9999). */
function civilDate(days: number): string {
  // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${P2[Math.floor(y / 100)]!}${P2[y % 100]!}-${P2[m]!}-${P2[d]!}`;
}
