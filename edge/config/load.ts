/**
 * Loads and validates the gateway config: schema (ajv, defaults filled in), then cross-references
 * (meter → bus, heat system → regime map, unique ids). Every problem names its JSON path.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { GkhError } from '../errors.js';
import { gatewayConfigSchema } from './schema.js';
import { listProfiles } from '../drivers/profiles/index.js';
import type { GatewayConfig } from './types.js';
import { describeErrors, formatProblem, makeAjv, type SchemaProblem, type ValidateFunction } from './validate.js';

let validator: ValidateFunction | undefined;
function getValidator(): ValidateFunction {
  validator ??= makeAjv({ useDefaults: true }).compile(gatewayConfigSchema);
  return validator;
}

function crossCheck(c: GatewayConfig): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const unique = (list: { id: string }[], where: string) => {
    const seen = new Map<string, number>();
    list.forEach((x, i) => {
      const first = seen.get(x.id);
      if (first !== undefined) problems.push({ path: `/${where}/${i}/id`, expected: `an id not used before (already at /${where}/${first}/id)`, found: JSON.stringify(x.id) });
      else seen.set(x.id, i);
    });
  };
  unique(c.buses, 'buses');
  unique(c.meters, 'meters');
  unique(c.regimeMaps, 'regimeMaps');
  unique(c.destinations, 'destinations');
  const buses = new Set(c.buses.map((b) => b.id));
  const profiles = listProfiles();
  const maps = new Set(c.regimeMaps.map((m) => m.id));
  c.meters.forEach((m, i) => {
    if (!buses.has(m.bus)) problems.push({ path: `/meters/${i}/bus`, expected: `the id of a bus in /buses (${[...buses].join(', ') || 'none defined'})`, found: JSON.stringify(m.bus) });
    const systems = new Set<number>();
    m.heatSystems.forEach((h, j) => {
      if (systems.has(h.system)) problems.push({ path: `/meters/${i}/heatSystems/${j}/system`, expected: 'a heat system number not used before in this meter', found: String(h.system) });
      systems.add(h.system);
      if (h.regimeMap !== undefined && !maps.has(h.regimeMap))
        problems.push({ path: `/meters/${i}/heatSystems/${j}/regimeMap`, expected: `the id of a map in /regimeMaps (${[...maps].join(', ') || 'none defined'})`, found: JSON.stringify(h.regimeMap) });
    });
    if (m.protocol === 'modbus' && m.profile === undefined) problems.push({ path: `/meters/${i}/profile`, expected: 'a device profile name (required for protocol "modbus")', found: 'nothing' });
    if (m.profile !== undefined && !profiles.includes(m.profile)) problems.push({ path: `/meters/${i}/profile`, expected: `a profile in edge/drivers/profiles (${profiles.join(', ')})`, found: JSON.stringify(m.profile) });
  });
  const o = c.outdoorTemperature;
  if (o.source === 'meter' && o.meter !== undefined && !c.meters.some((m) => m.id === o.meter))
    problems.push({ path: '/outdoorTemperature/meter', expected: 'the id of a meter in /meters', found: JSON.stringify(o.meter) });
  if (c.nodeRed.enabled && c.nodeRed.adminAuth === undefined)
    problems.push({ path: '/nodeRed/adminAuth', expected: 'credentials: the Node-RED editor is never started without adminAuth', found: 'nothing' });
  return problems;
}

/**
 * Validates a parsed config object. Returns the resolved config (defaults applied, a deep copy)
 * or throws `CONFIG_INVALID` with `context.problems`. `baseDir` resolves a relative dataDir.
 */
export function validateConfig(input: unknown, baseDir = process.cwd()): GatewayConfig {
  const data: unknown = structuredClone(input);
  const validate = getValidator();
  if (!validate(data)) {
    const problems = describeErrors(validate.errors, input);
    throw new GkhError('CONFIG_INVALID', `config invalid:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, { problems });
  }
  const cfg = data as GatewayConfig;
  for (const b of cfg.buses) {
    // Serial line defaults: M-Bus's 2400 8E1 (EN 13757-2). Filled here, not by the schema, because they apply to serial buses only.
    if (b.type === 'serial') {
      b.baudRate ??= 2400;
      b.parity ??= 'even';
      b.dataBits ??= 8;
      b.stopBits ??= 1;
    }
  }
  const problems = crossCheck(cfg);
  if (problems.length > 0) throw new GkhError('CONFIG_INVALID', `config invalid:\n${problems.map((p) => `  ${formatProblem(p)}`).join('\n')}`, { problems });
  cfg.dataDir = resolve(baseDir, cfg.dataDir);
  return cfg;
}

/** Reads, parses and validates a config file. JSON syntax errors name line and column. */
export function loadConfig(file: string): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GkhError('CONFIG_READ', `cannot read config ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, { file }, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const m = /position (\d+)/.exec(String((e as Error).message));
    let where = '';
    if (m) {
      const pos = Number(m[1]);
      const before = text.slice(0, pos).split('\n');
      where = ` at line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    }
    throw new GkhError('CONFIG_INVALID', `config ${file} is not valid JSON${where}: ${(e as Error).message}`, { file, problems: [] }, { cause: e });
  }
  return validateConfig(parsed, dirname(resolve(file)));
}

/** Path of a file named in the config, resolved against dataDir when relative. */
export function dataPath(cfg: GatewayConfig, p: string): string {
  return resolve(cfg.dataDir, p);
}

/** The gateway database file: `<dataDir>/gateway.db`. */
export function dbPath(cfg: GatewayConfig): string {
  return resolve(cfg.dataDir, 'gateway.db');
}
