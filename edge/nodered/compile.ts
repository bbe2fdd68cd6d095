/**
 * Compiles the gkh-* config nodes of a deployed Node-RED flow into a gateway config candidate (the one
 * schema in edge/config). Values arrive as the editor saves them (numbers often as strings); this file
 * only reshapes and converts what is unambiguous — every rule (ranges, patterns, references) is left to
 * the same ajv validation `opengkh run` applies, so a flow and a config file are checked identically.
 * Pure: no Node-RED import, unit-testable.
 */
import type { GatewayConfig, SchemaProblem } from '../config/index.js';

/** A node as it appears in a flows file (`[{id, type, z, d, ...props}]`). */
export interface FlowNode {
  id: string;
  type: string;
  z?: string;
  d?: boolean;
  disabled?: boolean;
  [prop: string]: unknown;
}

/** Config node types that compile into the gateway config. */
export const CONFIG_NODE_TYPES = ['gkh-bus', 'gkh-meter', 'gkh-regime', 'gkh-destination'] as const;

/** Result of a compile: the candidate and where each part came from (JSON pointer prefix → node id). */
export interface Compiled {
  candidate: Record<string, unknown>;
  /** Longest-prefix map from a JSON pointer (e.g. `/meters/1`) to the id of the node it came from. */
  origins: Map<string, string>;
  /** Problems found while reshaping (dangling references between nodes), in the schema's problem form. */
  problems: SchemaProblem[];
  /** Number of gkh config nodes in the flow (0: the flow does not configure the gateway). */
  configNodes: number;
}

/**
 * Numeric text from the editor → number; empty → undefined (schema default applies); anything else stays
 * as typed, so ajv reports it with the value the installer entered.
 */
export function num(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === '') return undefined;
    if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
    return v;
  }
  return v;
}

function str(v: unknown): unknown {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  return v;
}

function bool(v: unknown): unknown {
  if (v === 'true') return true;
  if (v === 'false') return false;
  return v === '' ? undefined : v;
}

/** Drops undefined members (so schema defaults apply and `additionalProperties` sees only real keys). */
function clean<T extends Record<string, unknown>>(o: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) out[k] = v;
  return out;
}

/** JSON text from an editor field → value; empty → undefined; invalid JSON stays text so ajv rejects it by type. */
function json(v: unknown): unknown {
  if (typeof v !== 'string') return v ?? undefined;
  if (v.trim() === '') return undefined;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** M-Bus / Modbus / vendor primary addresses are integers; secondary and IEC addresses are text. */
function address(v: unknown, protocol: unknown): unknown {
  const s = str(v);
  if (typeof s === 'string' && /^\d{1,3}$/.test(s) && protocol !== 'iec62056') return Number(s);
  return s;
}

function busOf(n: FlowNode): Record<string, unknown> {
  const type = str(n.busType);
  const base = {
    id: str(n.busId),
    description: str(n.description),
    type,
    timeoutMs: num(n.timeoutMs),
    interByteTimeoutMs: num(n.interByteTimeoutMs),
    guardTimeMs: num(n.guardTimeMs),
    retries: num(n.retries),
  };
  if (type === 'tcp') return clean({ ...base, host: str(n.host), port: num(n.port) });
  return clean({
    ...base,
    path: str(n.path),
    baudRate: num(n.baudRate),
    parity: str(n.parity),
    dataBits: num(n.dataBits),
    stopBits: num(n.stopBits),
  });
}

function regimeOf(n: FlowNode): Record<string, unknown> {
  const rows = Array.isArray(n.schedule) ? (n.schedule as Record<string, unknown>[]) : json(n.schedule);
  return clean({
    id: str(n.mapId),
    description: str(n.description),
    schedule: Array.isArray(rows) ? rows.map((r: Record<string, unknown>) => clean({ outdoor: num(r.outdoor), t1: num(r.t1), t2: num(r.t2) })) : rows,
    breakPoint: num(n.breakPoint),
    cutOff: num(n.cutOff),
    tolerances: json(n.tolerances),
    pressure: json(n.pressure),
    hotWater: json(n.hotWater),
    outdoorAveragingHours: num(n.outdoorAveragingHours),
  });
}

function destinationOf(n: FlowNode, password: string | undefined): Record<string, unknown> {
  const tls = clean({ ca: str(n.tlsCa), cert: str(n.tlsCert), key: str(n.tlsKey), rejectUnauthorized: bool(n.tlsRejectUnauthorized) });
  const batch = clean({ maxEntries: num(n.batchMaxEntries), maxBytes: num(n.batchMaxBytes), window: num(n.batchWindow) });
  const url = str(n.url);
  const useTls = typeof url === 'string' && /^(mqtts|wss):/.test(url);
  return clean({
    id: str(n.destinationId),
    role: str(n.role),
    url,
    topicPrefix: str(n.topicPrefix),
    clientId: str(n.clientId),
    username: str(n.username),
    password: password === '' ? undefined : password,
    passwordFile: str(n.passwordFile),
    protocolVersion: num(n.protocolVersion),
    tls: useTls && Object.keys(tls).length > 0 ? tls : undefined,
    batch: Object.keys(batch).length > 0 ? batch : undefined,
  });
}

/**
 * Builds the gateway config candidate from a flow. `base` is the running config: everything a flow does
 * not describe (gatewayId, timeZone, dataDir, keys, status page, the editor's own section) is kept from it,
 * so a deploy can never switch the editor's authentication off. `credentials(id)` returns a node's
 * decrypted credentials (destination passwords).
 */
export function compileFlow(
  flow: readonly FlowNode[],
  base: GatewayConfig,
  credentials: (id: string) => Record<string, unknown> | undefined = () => undefined,
): Compiled {
  const disabledTabs = new Set(flow.filter((n) => n.type === 'tab' && n.disabled === true).map((n) => n.id));
  const live = flow.filter((n) => n.d !== true && !(n.z !== undefined && disabledTabs.has(n.z)));
  const byType = (t: string) => live.filter((n) => n.type === t);
  const byId = new Map(live.map((n) => [n.id, n]));
  const origins = new Map<string, string>();
  const problems: SchemaProblem[] = [];

  const buses = byType('gkh-bus').map((n, i) => {
    origins.set(`/buses/${i}`, n.id);
    return busOf(n);
  });
  const regimeMaps = byType('gkh-regime').map((n, i) => {
    origins.set(`/regimeMaps/${i}`, n.id);
    return regimeOf(n);
  });
  const meters = byType('gkh-meter').map((n, i) => {
    origins.set(`/meters/${i}`, n.id);
    const busNode = typeof n.bus === 'string' ? byId.get(n.bus) : undefined;
    if (busNode?.type !== 'gkh-bus') problems.push({ path: `/meters/${i}/bus`, expected: 'a gkh-bus config node (bus) selected in the meter', found: n.bus ? `node ${JSON.stringify(n.bus)} (missing or disabled)` : 'nothing' });
    const systems = Array.isArray(n.heatSystems) ? (n.heatSystems as Record<string, unknown>[]) : [];
    const heatSystems = systems.map((h, j) => {
      const mapNode = typeof h.regimeMap === 'string' && h.regimeMap !== '' ? byId.get(h.regimeMap) : undefined;
      if (typeof h.regimeMap === 'string' && h.regimeMap !== '' && mapNode?.type !== 'gkh-regime')
        problems.push({ path: `/meters/${i}/heatSystems/${j}/regimeMap`, expected: 'a gkh-regime config node', found: `node ${JSON.stringify(h.regimeMap)} (missing or disabled)` });
      return clean({ system: num(h.system), name: str(h.name), regimeMap: mapNode ? str(mapNode.mapId) : undefined });
    });
    const poll = clean({
      hourlyOffsetMinutes: num(n.hourlyOffsetMinutes),
      currentIntervalSeconds: num(n.currentIntervalSeconds),
      archiveDepthHours: num(n.archiveDepthHours),
      clockDriftLimitSeconds: num(n.clockDriftLimitSeconds),
    });
    return clean({
      id: str(n.meterId),
      description: str(n.description),
      bus: busNode?.type === 'gkh-bus' ? str(busNode.busId) : undefined,
      protocol: str(n.protocol),
      address: address(n.address, n.protocol),
      profile: str(n.profile),
      heatSystems: heatSystems.length > 0 ? heatSystems : undefined,
      poll: Object.keys(poll).length > 0 ? poll : undefined,
    });
  });
  const destinations = byType('gkh-destination').map((n, i) => {
    origins.set(`/destinations/${i}`, n.id);
    const pw = credentials(n.id)?.password;
    return destinationOf(n, typeof pw === 'string' ? pw : undefined);
  });

  // Outdoor temperature: a gkh-outdoor node in the flow means another source feeds it; otherwise the
  // running choice is kept when its meter still exists.
  const hasOutdoor = byType('gkh-outdoor').length > 0;
  const meterIds = new Set(meters.map((m) => m.id));
  const keep = base.outdoorTemperature.meter !== undefined && meterIds.has(base.outdoorTemperature.meter);
  const outdoorTemperature = hasOutdoor ? { source: 'external' } : keep ? { source: 'meter', meter: base.outdoorTemperature.meter } : { source: 'meter' };

  const { buses: _b, meters: _m, regimeMaps: _r, destinations: _d, outdoorTemperature: _o, ...rest } = structuredClone(base);
  const candidate = { ...rest, buses, meters, regimeMaps, destinations, outdoorTemperature };
  const configNodes = CONFIG_NODE_TYPES.reduce((s, t) => s + byType(t).length, 0);
  return { candidate, origins, problems, configNodes };
}

/** The node a problem belongs to: the longest origin prefix of its JSON pointer. */
export function originOf(problemPath: string, origins: Map<string, string>): string | undefined {
  let best: string | undefined;
  let bestLen = -1;
  for (const [prefix, id] of origins) {
    if ((problemPath === prefix || problemPath.startsWith(`${prefix}/`)) && prefix.length > bestLen) {
      best = id;
      bestLen = prefix.length;
    }
  }
  return best;
}
