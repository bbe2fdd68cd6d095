/**
 * Device profiles: one JSON file per meter model in this folder, validated by profile.schema.json
 * (ajv, defaults filled in) and by `lintProfile` for what a schema cannot say (sources referenced exist,
 * offsets inside the record, the block the protocol needs is there). Loaded by name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GkhError } from '../../errors.js';
import { describeErrors, formatProblem, makeAjv, type ValidateFunction } from '../../config/validate.js';
import { sizeOf } from '../modbus/values.js';
import type { DeviceProfile } from './types.js';

export type * from './types.js';

/** The folder holding the profile JSON files: $OPENGKH_PROFILES, else edge/drivers/profiles beside the sources (also from dist/). */
export function profilesDir(): string {
  const env = process.env.OPENGKH_PROFILES;
  if (env) return env;
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const cand of [here, resolve(here, '../../../../edge/drivers/profiles')]) if (existsSync(join(cand, 'profile.schema.json'))) return cand;
  throw new GkhError('PROFILE_NOT_FOUND', `device profile folder not found near ${here}; set OPENGKH_PROFILES`, { dir: here });
}

let validator: ValidateFunction | undefined;
function getValidator(): ValidateFunction {
  validator ??= makeAjv({ useDefaults: true }).compile(JSON.parse(readFileSync(join(profilesDir(), 'profile.schema.json'), 'utf8')) as object);
  return validator;
}

/** Checks a profile beyond its schema; returns one line per problem (empty when fine). */
export function lintProfile(p: DeviceProfile, fileName?: string): string[] {
  const out: string[] = [];
  if (fileName !== undefined && fileName !== `${p.name}.json`) out.push(`/name: "${p.name}" must equal the file name without .json ("${fileName}")`);
  const ids = new Set(p.sources.map((s) => s.id));
  if (ids.size !== p.sources.length) out.push('/sources: ids must be unique');
  const cites = (where: string, text: string) => {
    if (![...ids].some((id) => text.includes(id))) out.push(`${where}: names no source id of /sources (${[...ids].join(', ')})`);
  };
  const need: Record<DeviceProfile['protocol'], keyof DeviceProfile> = { modbus: 'registers', tsrv: 'tsrvArchive', karat: 'karatArchive', iec62056: 'iecReadout' };
  if (p[need[p.protocol]] === undefined) out.push(`/${need[p.protocol]}: required for protocol "${p.protocol}"`);
  p.registers?.forEach((r, i) => {
    cites(`/registers/${i}/source`, r.source);
    if (r.type === 'ascii' && r.length === undefined) out.push(`/registers/${i}/length: required for type ascii`);
    if (r.exponent !== undefined && (r.type === 'float32' || r.type === 'float64')) out.push(`/registers/${i}/exponent: floats carry their own scale`);
  });
  const a = p.tsrvArchive;
  if (a) {
    cites('/tsrvArchive/source', a.source);
    if (a.timestamp.offset + 4 > a.recordLength) out.push('/tsrvArchive/timestamp/offset: beyond the record');
    a.fields.forEach((f, i) => {
      if (f.offset + sizeOf(f.type) > a.recordLength) out.push(`/tsrvArchive/fields/${i}/offset: ${f.offset}+${sizeOf(f.type)} beyond recordLength ${a.recordLength}`);
    });
    if (a.recordLength * a.maxRecordsPerRequest > 250) out.push('/tsrvArchive/maxRecordsPerRequest: records would not fit one RTU frame (250 data bytes)');
    const systems = a.hourArchives.map((h) => h.system);
    if (new Set(systems).size !== systems.length) out.push('/tsrvArchive/hourArchives: one entry per heat system');
  }
  const k = p.karatArchive;
  if (k) {
    cites('/karatArchive/source', k.source);
    const codes = k.codes.map((c) => c.code);
    if (new Set(codes).size !== codes.length) out.push('/karatArchive/codes: codes must be unique');
    if (k.dateOffset + 5 > k.headerLength) out.push('/karatArchive/dateOffset: the 5 date bytes must lie inside the header');
    k.codes.forEach((c, i) => {
      if (c.param === undefined && !c.flags) out.push(`/karatArchive/codes/${i}: needs param or flags`);
    });
  }
  return out;
}

/** Validates a parsed profile (schema + lint); throws PROFILE_INVALID listing every problem. */
export function validateProfile(input: unknown, fileName?: string): DeviceProfile {
  const data: unknown = structuredClone(input);
  const validate = getValidator();
  if (!validate(data)) {
    const problems = describeErrors(validate.errors, input).map(formatProblem);
    throw new GkhError('PROFILE_INVALID', `device profile${fileName ? ` ${fileName}` : ''} invalid:\n  ${problems.join('\n  ')}`, { problems, file: fileName });
  }
  const p = data as DeviceProfile;
  const problems = lintProfile(p, fileName);
  if (problems.length > 0) throw new GkhError('PROFILE_INVALID', `device profile${fileName ? ` ${fileName}` : ''} invalid:\n  ${problems.join('\n  ')}`, { problems, file: fileName });
  return p;
}

const cache = new Map<string, DeviceProfile>();

/** Loads and validates the profile `name` (file `<name>.json` in profilesDir()). Throws PROFILE_NOT_FOUND or PROFILE_INVALID. */
export function loadProfile(name: string): DeviceProfile {
  const hit = cache.get(name);
  if (hit) return hit;
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name)) throw new GkhError('PROFILE_NOT_FOUND', `"${name}" is not a profile name (lowercase letters, digits, . -)`, { name });
  const file = join(profilesDir(), `${name}.json`);
  if (!existsSync(file)) throw new GkhError('PROFILE_NOT_FOUND', `no device profile "${name}" (looked for ${file}); known: ${listProfiles().join(', ')}`, { name, file });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GkhError('PROFILE_INVALID', `device profile ${file}: ${(e as Error).message}`, { file }, { cause: e });
  }
  const p = validateProfile(parsed, `${name}.json`);
  cache.set(name, p);
  return p;
}

/** Names of every profile file in profilesDir(). */
export function listProfiles(): string[] {
  return readdirSync(profilesDir())
    .filter((f) => f.endsWith('.json') && f !== 'profile.schema.json')
    .map((f) => f.slice(0, -5))
    .sort();
}
