/**
 * The monthly ведомость and claim of one meter's heat system, as a pure function of evidence-log entries:
 * `hourly` entries give the values, `config.change` entries the regime maps and time zone in force. The
 * same entries give the same report on the gateway and on any receiver (nothing here reads a clock,
 * the environment or the locale).
 *
 * Which config applies: for an hour with a record, the last `config.change` logged before that record
 * (the rules in force when the hour was judged); for an hour without a record, the last one logged at or
 * before the hour's end, else the first. Duplicate records of an hour: the first logged one counts.
 */
import { GkhError } from '../errors.js';
import type { GatewayConfig, RegimeMapConfig } from '../config/index.js';
import { makeAjv } from '../config/index.js';
import { regimeMapSchema } from './schema.js';
import { hotWaterHourClaim, interruptionExcessHours, interruptionRuns, type Interruption } from './claims.js';
import { clean, judgeHour, outdoorMean, type HourValues, type ParamVerdict, type RegimeParam } from './verdict.js';
import { localDate, localMidnightUtc, localTime } from './time.js';

/** One evidence-log entry (DESIGN.md shared contract), parsed. */
export interface LogEntry {
  v: number;
  type: string;
  gw: string;
  at: string;
  body: Record<string, unknown>;
}

/** Which report: `month` is `YYYY-MM` in the site's time zone. */
export interface ReportQuery {
  meterId: string;
  system: number;
  month: string;
  /** Only entries of this gateway (a receiver store may hold several); required when entries mix gateways. */
  gatewayId?: string;
}

/** Ведомость columns summed per day (exact decimals: the meter's resolution). */
export const SUM_PARAMS = ['Q', 'M1', 'M2', 'hoursNormal', 'hoursError'] as const;
/** Ведомость columns averaged per day (arithmetic mean of the hourly means). */
export const MEAN_PARAMS = ['t1', 't2', 'P1', 'P2'] as const;
type SumParam = (typeof SUM_PARAMS)[number];
type MeanParam = (typeof MEAN_PARAMS)[number];

/** One row of the ведомость (a local day, or the month's totals). Null where no hour had the value. */
export interface LedgerRow {
  label: string;
  sums: Record<SumParam, number | null>;
  /** M1 − M2 (t), from the exact sums. */
  dM: number | null;
  means: Record<MeanParam, number | null>;
  hoursWithData: number;
  hours: number;
}

/** One hour that needs a line in the report: a violation, no data, or an interruption. */
export interface HourNote {
  hourStart: number;
  local: string;
  verdicts: ParamVerdict[];
  noData: boolean;
  interrupted: boolean;
  /** Hot water: claim steps of this hour, and whether it is billed as cold water. */
  steps: number;
  cold: boolean;
}

export interface ViolationCount {
  param: RegimeParam;
  below: number;
  above: number;
  noData: number;
}

export interface MonthlyReport {
  gatewayId: string;
  meterId: string;
  system: number;
  systemName: string | null;
  month: string;
  tz: string;
  /** Regime maps in force during the month (ids, in order of first use); empty when none. */
  mapIds: string[];
  kind: 'heating' | 'hotWater' | null;
  /** Entries read from the log, and the index of the last one. */
  logSize: number;
  units: Partial<Record<SumParam | MeanParam, string>>;
  /** Decimal places of each summed column (the meter's resolution). */
  decimals: Record<SumParam, number>;
  days: LedgerRow[];
  total: LedgerRow;
  hoursInMonth: number;
  duplicatesIgnored: number;
  violations: ViolationCount[];
  notes: HourNote[];
  interruptions: Interruption[];
  interruptionHours: number;
  /** Limits applied (of the map in force at the month's end). */
  interruptionLimits: { monthHours: number; onceHours: number; percentPerHour: number } | null;
  interruptionExcessHours: number;
  interruptionPercent: number;
  hotWater: { hoursBeyond: number; steps: number; coldHours: number; percent: number } | null;
  /** Total reduction, % of the month's charge (capped at 100). */
  claimPercent: number;
}

let mapValidator: ReturnType<ReturnType<typeof makeAjv>['compile']> | undefined;
/** A map from a logged config, with the schema's defaults filled in (older configs may lack newer keys). */
export function resolveMap(raw: unknown): RegimeMapConfig {
  mapValidator ??= makeAjv({ useDefaults: true }).compile(regimeMapSchema);
  const m: unknown = structuredClone(raw);
  if (!mapValidator(m)) throw new GkhError('REGIME_MAP_INVALID', `regime map in the log does not match the schema: ${JSON.stringify(mapValidator.errors?.[0] ?? {})}`, { map: raw });
  return m as RegimeMapConfig;
}

interface Rec {
  idx: number;
  hourStart: number;
  values: HourValues;
}
interface Cfg {
  idx: number;
  at: number;
  cfg: GatewayConfig;
}

function decimalsOf(x: number): number {
  const s = String(x);
  const e = /e-(\d+)$/.exec(s);
  if (e) return Number(e[1]) + (s.split('e')[0]!.split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}

/** Exact decimal sum: every addend scaled to an integer at `dec` places (values keep the meter's resolution). */
function exactSum(xs: readonly number[], dec: number): number {
  const f = 10 ** dec;
  let n = 0;
  for (const x of xs) n += Math.round(x * f);
  return Number(`${n}e-${dec}`);
}

function monthBounds(month: string, tz: string): { start: number; end: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) throw new GkhError('REPORT_MONTH', `month must be YYYY-MM, found "${month}"`, { month });
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { start: localMidnightUtc(y, mo, 1, tz), end: localMidnightUtc(y, mo + 1, 1, tz) };
}

function localLabel(ms: number, tz: string): string {
  const l = localTime(ms, tz);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${l.year}-${two(l.month)}-${two(l.day)} ${two(l.hour)}:${two(l.minute)}`;
}

function asValues(v: unknown): HourValues {
  const out: HourValues = {};
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x && typeof x === 'object' && typeof (x as { value?: unknown }).value === 'number') {
        out[k] = { value: (x as { value: number }).value, unit: String((x as { unit?: unknown }).unit ?? '') };
      }
    }
  }
  return out;
}

/**
 * Builds the monthly report from log entries in log order (`idx` ascending). Throws REPORT_NO_CONFIG when
 * no `config.change` precedes the data, REPORT_GATEWAY when entries of several gateways mix and no
 * `gatewayId` was given, REPORT_UNITS when a column changes unit within the month.
 */
export function buildMonthlyReport(entries: Iterable<{ idx: number; entry: LogEntry }>, q: ReportQuery): MonthlyReport {
  const configs: Cfg[] = [];
  const recs = new Map<number, Rec>();
  const outdoor = new Map<string, Map<number, number>>();
  const gateways = new Set<string>();
  let duplicates = 0;
  let logSize = 0;
  for (const { idx, entry } of entries) {
    logSize++;
    if (q.gatewayId !== undefined && entry.gw !== q.gatewayId) continue;
    gateways.add(entry.gw);
    const b = entry.body;
    if (entry.type === 'config.change') {
      configs.push({ idx, at: Date.parse(entry.at), cfg: b.config as GatewayConfig });
    } else if (entry.type === 'hourly') {
      const hourStart = Date.parse(String(b.hourStart));
      const t = (b.values as { tOutdoor?: { value?: unknown } } | undefined)?.tOutdoor?.value;
      if (typeof t === 'number' && Number.isFinite(t)) {
        let s = outdoor.get(String(b.meterId));
        if (!s) outdoor.set(String(b.meterId), (s = new Map()));
        if (!s.has(hourStart)) s.set(hourStart, t);
      }
      if (b.meterId === q.meterId && b.system === q.system) {
        if (recs.has(hourStart)) duplicates++;
        else recs.set(hourStart, { idx, hourStart, values: asValues(b.values) });
      }
    }
  }
  if (gateways.size > 1) throw new GkhError('REPORT_GATEWAY', `the log holds entries of several gateways (${[...gateways].sort().join(', ')}); choose one with --gateway`, { gateways: [...gateways].sort() });
  const last = configs[configs.length - 1];
  if (!last) throw new GkhError('REPORT_NO_CONFIG', 'no config.change entry in the log: the regime maps and time zone in force are unknown', {});
  const gatewayId = [...gateways][0] ?? q.gatewayId ?? '';
  const tz = last.cfg.timeZone;
  const { start, end } = monthBounds(q.month, tz);

  const configFor = (hourStart: number): Cfg => {
    const r = recs.get(hourStart);
    let found: Cfg | undefined;
    for (const c of configs) {
      if (r ? c.idx < r.idx : c.at <= hourStart + 3_600_000) found = c;
      else break;
    }
    return found ?? configs[0]!;
  };
  const mapCache = new Map<Cfg, { map: RegimeMapConfig | null; name: string | null }>();
  const mapFor = (c: Cfg) => {
    let m = mapCache.get(c);
    if (!m) {
      const hs = c.cfg.meters?.find((x) => x.id === q.meterId)?.heatSystems?.find((h) => h.system === q.system);
      const raw = hs?.regimeMap === undefined ? undefined : c.cfg.regimeMaps?.find((x) => x.id === hs.regimeMap);
      m = { map: raw === undefined ? null : resolveMap(raw), name: hs?.name ?? null };
      mapCache.set(c, m);
    }
    return m;
  };

  const units: MonthlyReport['units'] = {};
  const decimals = Object.fromEntries(SUM_PARAMS.map((p) => [p, 0])) as Record<SumParam, number>;
  for (const r of recs.values()) {
    if (r.hourStart < start || r.hourStart >= end) continue;
    for (const p of [...SUM_PARAMS, ...MEAN_PARAMS]) {
      const v = r.values[p];
      if (!v) continue;
      const u = units[p];
      if (u !== undefined && u !== v.unit) throw new GkhError('REPORT_UNITS', `${p} changes unit within ${q.month}: ${u} and ${v.unit}`, { param: p, units: [u, v.unit] });
      units[p] = v.unit;
      if ((SUM_PARAMS as readonly string[]).includes(p)) decimals[p as SumParam] = Math.max(decimals[p as SumParam], decimalsOf(v.value));
    }
  }

  const mapIds: string[] = [];
  let kind: MonthlyReport['kind'] = null;
  let systemName: string | null = null;
  let lastMap: RegimeMapConfig | null = null;
  const notes: HourNote[] = [];
  const counts = new Map<RegimeParam, ViolationCount>();
  const interrupted: number[] = [];
  let hwSteps = 0;
  let hwPercent = 0;
  let hwHoursBeyond = 0;
  let coldHours = 0;
  const dayHours = new Map<string, Rec[]>();
  const dayCount = new Map<string, number>();
  let hoursInMonth = 0;

  for (let h = start; h < end; h += 3_600_000) {
    hoursInMonth++;
    const date = localDate(h, tz);
    dayCount.set(date, (dayCount.get(date) ?? 0) + 1);
    const r = recs.get(h);
    if (r) {
      let l = dayHours.get(date);
      if (!l) dayHours.set(date, (l = []));
      l.push(r);
    }
    const c = configFor(h);
    const { map, name } = mapFor(c);
    systemName ??= name;
    if (!map) {
      if (!r) notes.push({ hourStart: h, local: localLabel(h, tz), verdicts: [], noData: true, interrupted: false, steps: 0, cold: false });
      continue;
    }
    lastMap = map;
    if (!mapIds.includes(map.id)) mapIds.push(map.id);
    kind ??= map.kind;
    const src = c.cfg.outdoorTemperature?.meter ?? q.meterId;
    const series = outdoor.get(src) ?? new Map<number, number>();
    const values = r?.values ?? {};
    const verdicts = judgeHour(map, { hourStart: h, tz, values, outdoorMean: outdoorMean(series, h, map.outdoorAveragingHours) });
    const m1 = values.M1?.value;
    const isInt = m1 !== undefined && m1 <= map.interruption.massAtMost;
    if (isInt) interrupted.push(h);
    let steps = 0;
    let cold = false;
    for (const v of verdicts) {
      let cnt = counts.get(v.param);
      if (!cnt) counts.set(v.param, (cnt = { param: v.param, below: 0, above: 0, noData: 0 }));
      if (v.verdict === 'below') cnt.below++;
      else if (v.verdict === 'above') cnt.above++;
      else if (v.verdict === 'no-data') cnt.noData++;
      // Quality claims stop while supply is interrupted: the interruption is claimed instead (ПП 354 прил. 1, note to п. 14).
      if (map.kind === 'hotWater' && v.param === map.hotWater.param && !isInt) {
        const hc = hotWaterHourClaim(map, v);
        steps = hc.steps;
        cold = hc.cold;
        if (hc.steps > 0) {
          hwHoursBeyond++;
          hwSteps += hc.steps;
          hwPercent = clean(hwPercent + hc.steps * map.hotWater.percentPerStep);
        }
        if (hc.cold) coldHours++;
      }
    }
    const bad = verdicts.some((v) => v.verdict !== 'ok');
    if (bad || !r || isInt) notes.push({ hourStart: h, local: localLabel(h, tz), verdicts, noData: !r, interrupted: isInt, steps, cold });
  }

  const row = (label: string, rs: readonly Rec[], hours: number): LedgerRow => {
    const sums = {} as Record<SumParam, number | null>;
    for (const p of SUM_PARAMS) {
      const xs = rs.map((r) => r.values[p]?.value).filter((x): x is number => x !== undefined);
      sums[p] = xs.length === 0 ? null : exactSum(xs, decimals[p]);
    }
    const means = {} as Record<MeanParam, number | null>;
    for (const p of MEAN_PARAMS) {
      const xs = rs.map((r) => r.values[p]?.value).filter((x): x is number => x !== undefined);
      means[p] = xs.length === 0 ? null : clean(xs.reduce((a, b) => a + b, 0) / xs.length);
    }
    const dM = sums.M1 === null || sums.M2 === null ? null : exactSum([sums.M1, -sums.M2], Math.max(decimals.M1, decimals.M2));
    return { label, sums, dM, means, hoursWithData: rs.length, hours };
  };
  const days = [...dayCount.entries()].map(([d, n]) => row(d, dayHours.get(d) ?? [], n));
  const total = row('Итого', [...dayHours.values()].flat(), hoursInMonth);

  const runs = interruptionRuns(interrupted);
  const interruptionHours = interrupted.length;
  const limits = lastMap ? (lastMap.kind === 'hotWater' ? lastMap.interruption.hotWater : lastMap.interruption.heating) : null;
  const excess = limits ? interruptionExcessHours(runs, limits) : 0;
  const interruptionPercent = limits ? clean(excess * limits.percentPerHour) : 0;
  const hotWater = kind === 'hotWater' ? { hoursBeyond: hwHoursBeyond, steps: hwSteps, coldHours, percent: hwPercent } : null;
  const claimPercent = Math.min(100, clean(interruptionPercent + (hotWater?.percent ?? 0)));
  const order: RegimeParam[] = ['t1', 't2', 't3', 'P1', 'P2', 'dP'];
  return {
    gatewayId,
    meterId: q.meterId,
    system: q.system,
    systemName,
    month: q.month,
    tz,
    mapIds,
    kind,
    logSize,
    units,
    decimals,
    days,
    total,
    hoursInMonth,
    duplicatesIgnored: duplicates,
    violations: [...counts.values()].sort((a, b) => order.indexOf(a.param) - order.indexOf(b.param)),
    notes,
    interruptions: runs,
    interruptionHours,
    interruptionLimits: limits ? { monthHours: limits.monthHours, onceHours: limits.onceHours, percentPerHour: limits.percentPerHour } : null,
    interruptionExcessHours: excess,
    interruptionPercent,
    hotWater,
    claimPercent,
  };
}
