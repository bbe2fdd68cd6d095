/**
 * The fast path of `encodeHourly` (entry.ts): the RFC 8785 text of an `hourly` entry written straight
 * from the driver record, without building the entry object and walking it. Literals of short
 * strings (keys, units, ids, zones) are cached; non-ASCII literals are stored UTF-8-encoded, so the
 * whole text is a byte string and a latin1 copy gives the bytes without a UTF-8 pass.
 */
import { wellFormed } from './canonical.js';
import type { HourlyRecordLike } from './entry.js';
import { isoUtc } from './iso.js';

/**
 * Characters JSON.stringify escapes (controls, quote, backslash) and everything beyond ASCII (which
 * the byte string carries UTF-8-encoded; surrogates are checked for pairing).
 */
// eslint-disable-next-line no-control-regex -- the control characters are what this looks for
const NEEDS_CARE = /[\u0000-\u001f"\\\u0080-\uffff]/;

/** Literals of short strings seen before (keys, units, ids, zones repeat in every entry). */
const LITERALS = new Map<string, string>();
const LITERALS_MAX = 4096;

/** Canonical string literal as a byte string (one char per UTF-8 byte), or undefined when not a well-formed string. */
function lit(s: unknown): string | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.length > 40) return literal(s);
  let l = LITERALS.get(s);
  if (l === undefined) {
    l = literal(s);
    if (l === undefined) return undefined;
    if (LITERALS.size >= LITERALS_MAX) LITERALS.clear();
    LITERALS.set(s, l);
  }
  return l;
}

function literal(s: string): string | undefined {
  if (!NEEDS_CARE.test(s)) return `"${s}"`;
  return wellFormed(s) ? Buffer.from(JSON.stringify(s), 'utf8').toString('latin1') : undefined;
}

/** The last key list seen and its sorted order (a meter's values have the same keys every hour). */
let lastKeys: string[] = [];
let lastSorted: string[] = [];

function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  if (keys.length === lastKeys.length) {
    let same = true;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== lastKeys[i]) {
        same = false;
        break;
      }
    }
    if (same) return lastSorted;
  }
  lastKeys = keys;
  lastSorted = [...keys].sort();
  return lastSorted;
}

function strArray(a: unknown): string | undefined {
  if (!Array.isArray(a)) return undefined;
  let out = '[';
  for (let i = 0; i < a.length; i++) {
    const x = lit(a[i]);
    if (x === undefined) return undefined;
    out += i === 0 ? x : `,${x}`;
  }
  return `${out}]`;
}

/**
 * The canonical text of `hourlyEntry(gw, rec, tz, atMs)` as a byte string (one char per UTF-8 byte:
 * `Buffer.from(text, 'latin1')` gives the canonical bytes), or undefined when the record is outside
 * the typed shape and must take the generic path. Throws the RangeError of Date for invalid times,
 * as the generic path does.
 */
export function hourlyText(gw: string, rec: HourlyRecordLike, tz: string, atMs: number): string | undefined {
  const values = rec.values as Record<string, { value: unknown; unit: unknown } | undefined> | null;
  if (typeof values !== 'object' || values === null || Object.getPrototypeOf(values) !== Object.prototype) return undefined;
  let v = '{';
  for (const k of sortedKeys(values)) {
    const m = values[k];
    if (!m) continue;
    const key = lit(k);
    const unit = lit(m.unit);
    if (key === undefined || unit === undefined || typeof m.value !== 'number' || !Number.isFinite(m.value)) return undefined;
    // RFC 8785 §3.2.2.3 numbers are ECMAScript Number::toString; String(-0) is "0" as required.
    v += `${v.length === 1 ? '' : ','}${key}:{"unit":${unit},"value":${String(m.value)}}`;
  }
  const flags = strArray(rec.flags);
  const frames = strArray(rec.rawFrames);
  const meterId = lit(rec.meterId);
  const source = lit(rec.source);
  const zone = lit(tz);
  const gateway = lit(gw);
  const mc = rec.meterClock;
  if (flags === undefined || frames === undefined || meterId === undefined || source === undefined || zone === undefined || gateway === undefined) return undefined;
  if (typeof rec.system !== 'number' || !Number.isFinite(rec.system) || typeof rec.hourStart !== 'number' || typeof rec.readAt !== 'number') return undefined;
  if (mc !== undefined && mc !== null && typeof mc !== 'number') return undefined;
  return (
    `{"at":"${isoUtc(atMs)}","body":{"flags":${flags},"hourStart":"${isoUtc(rec.hourStart * 1000)}"` +
    (mc !== undefined && mc !== null ? `,"meterClock":"${isoUtc(mc * 1000)}"` : '') +
    `,"meterId":${meterId},"rawFrames":${frames},"readAt":"${isoUtc(rec.readAt)}","source":${source},"system":${String(rec.system)},"tz":${zone},"values":${v}}},"gw":${gateway},"type":"hourly","v":1}`
  );
}
