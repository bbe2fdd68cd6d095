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
  const out: string[] = [];
  write(value, out, '$');
  return out.join('');
}

/** UTF-8 bytes of `canonicalize(value)`. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(canonicalize(value), 'utf8');
}

// RFC 8785 §3.2.2.2: strings are serialised as ECMAScript JSON.stringify does (escapes \b \t \n \f
// \r \" \\, other controls as \u00xx lowercase, everything else literal). Lone surrogates are not
// valid Unicode (§3.2.2.2 requires well-formed strings): refuse them.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function writeString(s: string, out: string[], path: string): void {
  if (LONE_SURROGATE.test(s)) throw new GkhError('LOG_CANONICAL', `${path}: string has a lone UTF-16 surrogate; RFC 8785 needs well-formed Unicode`, { path });
  out.push(JSON.stringify(s));
}

function write(v: unknown, out: string[], path: string): void {
  if (v === null) return void out.push('null');
  switch (typeof v) {
    case 'boolean':
      return void out.push(v ? 'true' : 'false');
    case 'number':
      // RFC 8785 §3.2.2.3: numbers as ECMAScript Number.prototype.toString (-0 becomes 0);
      // JSON.stringify applies exactly that for finite numbers.
      if (!Number.isFinite(v)) throw new GkhError('LOG_CANONICAL', `${path}: ${v} is not a JSON number`, { path });
      return void out.push(JSON.stringify(v));
    case 'string':
      return writeString(v, out, path);
    case 'object':
      break;
    default:
      throw new GkhError('LOG_CANONICAL', `${path}: a ${typeof v} cannot be written as JSON`, { path });
  }
  if (Array.isArray(v)) {
    out.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i > 0) out.push(',');
      const item: unknown = v[i];
      if (item === undefined) throw new GkhError('LOG_CANONICAL', `${path}[${i}]: undefined in an array`, { path: `${path}[${i}]` });
      write(item, out, `${path}[${i}]`);
    }
    out.push(']');
    return;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) {
    throw new GkhError('LOG_CANONICAL', `${path}: only plain objects can be canonicalised (found ${(v as object).constructor?.name ?? 'an exotic object'})`, { path });
  }
  const rec = v as Record<string, unknown>;
  // RFC 8785 §3.2.3: properties sorted by their names as arrays of UTF-16 code units. JS string
  // comparison (<) compares UTF-16 code units, which is exactly that (not locale order).
  const keys = Object.keys(rec)
    .filter((k) => rec[k] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  out.push('{');
  keys.forEach((k, i) => {
    if (i > 0) out.push(',');
    writeString(k, out, path);
    out.push(':');
    write(rec[k], out, `${path}.${k}`);
  });
  out.push('}');
}
