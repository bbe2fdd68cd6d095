/**
 * Glue for the gateway runtime: judge one freshly read HourlyRecord under the config in force and say
 * which `regime.verdict` events to append to the evidence log. Pure: the caller keeps the state per
 * meter and heat system (e.g. in memory, rebuilt from the log's last verdict events at start).
 */
import type { GatewayConfig } from '../config/index.js';
import type { HourlyRecord } from '../drivers/index.js';
import { verdictChanges, type VerdictEvent, type VerdictState } from './events.js';
import { judgeHour, outdoorMean, type ParamVerdict } from './verdict.js';

/** What judging one record gives. */
export interface RecordJudgement {
  mapId: string;
  verdicts: ParamVerdict[];
  events: VerdictEvent[];
  state: VerdictState;
}

/**
 * Verdicts and change events for `rec` (hourStart in unix seconds). `outdoor` maps UTC ms of an hour's
 * start to that hour's outdoor temperature (°C) from the configured source. Undefined when the record's
 * heat system has no regime map.
 */
export function judgeRecord(cfg: GatewayConfig, rec: HourlyRecord, outdoor: ReadonlyMap<number, number>, prev: VerdictState): RecordJudgement | undefined {
  const hs = cfg.meters.find((m) => m.id === rec.meterId)?.heatSystems.find((h) => h.system === rec.system);
  const map = hs?.regimeMap === undefined ? undefined : cfg.regimeMaps.find((m) => m.id === hs.regimeMap);
  if (!map) return undefined;
  const hourStart = rec.hourStart * 1000;
  const verdicts = judgeHour(map, { hourStart, tz: cfg.timeZone, values: rec.values, outdoorMean: outdoorMean(outdoor, hourStart, map.outdoorAveragingHours) });
  const { events, state } = verdictChanges(prev, verdicts, { meterId: rec.meterId, system: rec.system, mapId: map.id, hourStart });
  return { mapId: map.id, verdicts, events, state };
}
