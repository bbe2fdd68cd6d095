/**
 * Site-time helpers over Intl (IANA zones, never a fixed UTC offset): the local wall clock of an
 * instant, the UTC instant of a local midnight, and the hot-water night window.
 */

/** Local calendar fields of an instant in `tz`. */
export interface LocalTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number; // 0-23
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(tz, f);
  }
  return f;
}

/** Wall-clock time in `tz` (IANA) of the instant `ms` (unix ms). */
export function localTime(ms: number, tz: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(ms))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour! % 24, minute: parts.minute! };
}

/** Offset of `tz` from UTC at instant `ms`, in ms (Asia/Yekaterinburg: +5 h). */
export function tzOffsetMs(ms: number, tz: string): number {
  const l = localTime(ms, tz);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute);
  return asUtc - Math.floor(ms / 60_000) * 60_000;
}

/** The UTC instant (unix ms) of local midnight starting `year-month-day` in `tz` (month 1-12, day may overflow). */
export function localMidnightUtc(year: number, month: number, day: number, tz: string): number {
  const guess = Date.UTC(year, month - 1, day);
  let t = guess - tzOffsetMs(guess, tz);
  // Second pass: the offset at the found instant may differ from the guess's (a DST change that day).
  t = guess - tzOffsetMs(t, tz);
  return t;
}

/** Minutes since local midnight for `HH:MM`. */
export function minutesOf(hhmm: string): number {
  const m = /^(\d{2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new Error(`not HH:MM: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * True when the hour starting at `hourStartMs` (UTC ms) lies in the night window [from, to) of the site's
 * wall clock (ПП 354 прил. 1 п. 5: night is 00:00–05:00). Judged by the hour's start: with the default
 * window the hours starting 00:00 … 04:00 local are night, the hour starting 05:00 is day.
 * A window that wraps midnight (e.g. 23:00–06:00) is allowed.
 */
export function isNightHour(hourStartMs: number, tz: string, from: string, to: string): boolean {
  const l = localTime(hourStartMs, tz);
  const m = l.hour * 60 + l.minute;
  const a = minutesOf(from);
  const b = minutesOf(to);
  return a <= b ? m >= a && m < b : m >= a || m < b;
}

/** `YYYY-MM-DD` of the instant in `tz`. */
export function localDate(ms: number, tz: string): string {
  const l = localTime(ms, tz);
  return `${l.year}-${String(l.month).padStart(2, '0')}-${String(l.day).padStart(2, '0')}`;
}
