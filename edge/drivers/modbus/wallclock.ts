/**
 * Meter wall clock ↔ UTC. Russian calculators keep local time (the site's zone) and count it as
 * "seconds since 1970" (e.g. ТСРВ records); the gateway stores UTC plus the zone.
 */

const formats = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` from UTC at the UTC instant `utcSeconds`, seconds (east positive). */
export function zoneOffsetSeconds(utcSeconds: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formats.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(utcSeconds * 1000)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)) / 1000;
  return asUtc - utcSeconds;
}

/** Wall-clock seconds (local time counted as if UTC) of a UTC instant. */
export function utcToWall(utcSeconds: number, timeZone: string): number {
  return utcSeconds + zoneOffsetSeconds(utcSeconds, timeZone);
}

/** UTC instant of wall-clock seconds in `timeZone` (for a repeated wall time, the earlier; for a skipped one, shifted forward). */
export function wallToUtc(wallSeconds: number, timeZone: string): number {
  let guess = wallSeconds - zoneOffsetSeconds(wallSeconds, timeZone);
  guess = wallSeconds - zoneOffsetSeconds(guess, timeZone);
  return guess;
}

/** Calendar fields of wall-clock seconds. */
export function wallFields(wallSeconds: number): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  const d = new Date(wallSeconds * 1000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** Wall-clock seconds from calendar fields. */
export function wallFromFields(f: { year: number; month: number; day: number; hour: number; minute?: number; second?: number }): number {
  return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute ?? 0, f.second ?? 0) / 1000;
}
