/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). The evidence log hashes these bytes, so two parties
 * who re-serialise the same entry get the same leaf hash.
 *
 * Accepted input: plain objects, arrays, strings, finite numbers, booleans, null. Object properties
 * whose value is `undefined` are left out (as JSON.stringify does, so optional fields may be
 * absent or undefined); anything else (undefined in an array, NaN, Infinity, bigint, Date, Map,
 * class instances, lone surrogates) is refused with LOG_CANONICAL rather than silently changed.
 */
import { GkhError } from '../errors.js';

/** Canonical JSON text of `value` (RFC 8785). Encode with UTF-8 to get the bytes that are hashed. */
export function canonicalize(value: unknown): string {
  // Fast path: when every object's own keys already enumerate in RFC 8785 order and every value is
  // plain JSON (finite numbers, well-formed strings, no undefined), JSON.stringify writes exactly the
  // canonical form, about 3x faster. Entry builders (makeEntry, hourlyEntry) create keys in order.
  if (inOrder(value)) return JSON.stringify(value);
  return write(value, '$');
}

/** True when JSON.stringify(v) is already canonical (see canonicalize). */
function inOrder(v: unknown): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case 'string':
      return wellFormed(v);
    case 'number':
      return Number.isFinite(v);
    case 'boolean':
      return true;
    case 'object':
      break;
    default:
      return false;
  }
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (x === undefined || !inOrder(x)) return false;
    }
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  let prev: string | undefined;
  const rec = v as Record<string, unknown>;
  for (const k of Object.keys(rec)) {
    if ((prev !== undefined && !(prev < k)) || !wellFormed(k)) return false;
    const x = rec[k];
    if (x === undefined || !inOrder(x)) return false;
    prev = k;
  }
  return true;
}

/** True when `s` has no lone UTF-16 surrogate (String.prototype.isWellFormed where present). */
export function wellFormed(s: string): boolean {
  const wf = (s as unknown as WellFormed).isWellFormed;
  return wf ? wf.call(s) : !LONE_SURROGATE.test(s);
}

/** UTF-8 bytes of `canonicalize(value)`. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

type WellFormed = { isWellFormed?: () => boolean };
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

// RFC 8785 §3.2.2.2: strings are serialised as ECMAScript JSON.stringify does (escapes \b \t \n \f
// \r \" \\, other controls as \u00xx lowercase, everything else literal). Lone surrogates are not
// valid Unicode (JCS needs well-formed strings): refuse them instead of escaping them.
function str(s: string, path: string): string {
  if (!wellFormed(s)) throw new GkhError('LOG_CANONICAL', `${path}: string has a lone UTF-16 surrogate; RFC 8785 needs well-formed Unicode`, { path });
  return JSON.stringify(s);
}

function write(v: unknown, path: string): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      // RFC 8785 §3.2.2.3: numbers as ECMAScript Number.prototype.toString (-0 becomes 0);
      // JSON.stringify applies exactly that for finite numbers.
      if (!Number.isFinite(v)) throw new GkhError('LOG_CANONICAL', `${path}: ${v} is not a JSON number`, { path });
      return JSON.stringify(v);
    case 'string':
      return str(v, path);
    case 'object':
      break;
    default:
      throw new GkhError('LOG_CANONICAL', `${path}: a ${typeof v} cannot be written as JSON`, { path });
  }
  if (Array.isArray(v)) {
    let out = '[';
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (item === undefined) throw new GkhError('LOG_CANONICAL', `${path}[${i}]: undefined in an array`, { path: `${path}[${i}]` });
      out += (i > 0 ? ',' : '') + write(item, path);
    }
    return out + ']';
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new GkhError('LOG_CANONICAL', `${path}: only plain objects can be canonicalised (found ${(v as object).constructor?.name ?? 'an exotic object'})`, { path });
  }
  const rec = v as Record<string, unknown>;
  // RFC 8785 §3.2.3: properties sorted by their names as arrays of UTF-16 code units. The default
  // Array.prototype.sort order for strings compares UTF-16 code units, which is exactly that.
  const keys = Object.keys(rec).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const x = rec[k];
    if (x === undefined) continue;
    out += (first ? '' : ',') + str(k, path) + ':' + write(x, path === '$' ? k : path);
    first = false;
  }
  return out + '}';
}
