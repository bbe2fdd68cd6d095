/**
 * ajv wrapper shared by every schema in the project (config, device profiles, log entries, protocol payloads).
 * Errors are turned into one line each: JSON path, what was expected, what was found.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction, Options } from 'ajv';

const require = createRequire(import.meta.url);
// ajv is CommonJS; its 2020-12 build lives under dist/2020.
const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js').default;

/** True for names Intl knows as IANA time zones (e.g. Asia/Yekaterinburg). */
export function isIanaTimeZone(tz: string): boolean {
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A new ajv instance with our formats. `useDefaults` fills in schema defaults. */
export function makeAjv(options: Options = {}) {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, verbose: true, ...options });
  ajv.addFormat('iana-time-zone', { type: 'string', validate: isIanaTimeZone });
  // RFC 3339 date-time (as JSON.stringify(Date) prints it); ajv-formats is not needed for this one.
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)) });
  return ajv;
}

/** One validation problem, ready for a person: where, what was expected, what was found. */
export interface SchemaProblem {
  /** JSON Pointer of the offending value (for an unknown key: of the key itself). */
  path: string;
  expected: string;
  found: string;
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function get(root: unknown, pointer: string): unknown {
  let cur: unknown = root;
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Turns ajv errors into problems, dropping the noise ajv adds for oneOf/anyOf branches. */
export function describeErrors(errors: ErrorObject[] | null | undefined, data: unknown): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    let p: SchemaProblem;
    const found = get(data, e.instancePath);
    switch (e.keyword) {
      case 'additionalProperties': {
        const key = String(e.params.additionalProperty);
        const props = e.parentSchema?.properties as Record<string, unknown> | undefined;
        const hint = props ? closest(key, Object.keys(props)) : undefined;
        p = {
          path: `${e.instancePath}/${key}`,
          expected: hint ? `a known key (did you mean "${hint}"?)` : `one of the known keys${props ? `: ${Object.keys(props).join(', ')}` : ''}`,
          found: `unknown key "${key}"`,
        };
        break;
      }
      case 'required':
        p = { path: `${e.instancePath}/${String(e.params.missingProperty)}`, expected: 'a value (required)', found: 'nothing' };
        break;
      case 'enum':
        p = { path: e.instancePath, expected: `one of ${(e.params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`, found: show(found) };
        break;
      case 'const':
        p = { path: e.instancePath, expected: JSON.stringify(e.params.allowedValue), found: show(found) };
        break;
      case 'false schema':
        p = { path: e.instancePath, expected: 'no such key here (it does not apply to this kind of object)', found: show(found) };
        break;
      case 'if':
        continue;
      case 'oneOf':
      case 'anyOf':
        // Branch failures are reported individually; this summary line is only kept when it is the only one.
        if ((errors ?? []).some((o) => o !== e && o.instancePath.startsWith(e.instancePath) && o.keyword !== 'oneOf' && o.keyword !== 'anyOf')) continue;
        p = { path: e.instancePath, expected: 'a value matching one of the allowed forms', found: show(found) };
        break;
      case 'format':
        p = { path: e.instancePath, expected: `a valid ${String(e.params.format)}${e.params.format === 'iana-time-zone' ? ' (e.g. "Asia/Yekaterinburg")' : ''}`, found: show(found) };
        break;
      default:
        p = { path: e.instancePath, expected: e.message ?? e.keyword, found: show(found) };
    }
    if (p.path === '') p.path = '/';
    const k = `${p.path}|${p.expected}`;
    if (!seen.has(k)) {
      seen.add(k);
      out.push(p);
    }
  }
  return out;
}

/** Formats one problem as a single line: `/meters/0/protocl: expected …, found …`. */
export function formatProblem(p: SchemaProblem): string {
  return `${p.path}: expected ${p.expected}, found ${p.found}`;
}

export type { ValidateFunction };
