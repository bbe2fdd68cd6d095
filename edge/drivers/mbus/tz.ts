/**
 * Meter clocks (EN 13757-3 types F/G/I) carry local wall time without a zone. These helpers convert
 * between a wall time in an IANA zone and UTC with Intl (no tz database of our own).
 */

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string): Intl.DateTimeFormat {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    fmtCache.set(tz, f);
  }
  return f;
}

/** The wall-clock fields of instant `ms` in `tz`, returned as a Date whose UTC fields are those wall fields. */
export function wallClock(ms: number, tz: string): Date {
  const parts = Object.fromEntries(fmt(tz).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return new Date(Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second)));
}

/** `YYYY-MM-DDTHH:MM:SS` (or `YYYY-MM-DD`) as wall time in `tz` → unix ms. In a DST gap or overlap, the earlier offset wins. */
export function zonedToUtc(wall: string, tz: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(wall);
  if (!m) return NaN;
  const asUtc = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0));
  let guess = asUtc;
  for (let i = 0; i < 3; i++) {
    const off = wallClock(guess, tz).getTime() - guess;
    const next = asUtc - off;
    if (next === guess) break;
    guess = next;
  }
  return guess;
}
