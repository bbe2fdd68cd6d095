/**
 * Runs the regime checks (edge/regime) on each stored hourly record: the averaged outdoor temperature,
 * the verdict per parameter, and the verdict-change events logged with the record in its transaction.
 * The last verdicts per heat system persist in `meta` so a restart does not log the same change twice.
 */
import type { GatewayEvent } from '../bus.js';
import type { GatewayConfig } from '../config/index.js';
import type { HourlyRecord } from '../drivers/types.js';
import { judgeRecord, type ParamVerdict, type VerdictState } from '../regime/index.js';
import { getMeta, setMeta, type Db } from '../store/index.js';

const HOUR_MS = 3_600_000;


export class RegimeHook {
  /** Outdoor temperature per hour start (ms) — from the outdoor meter's records or an external feed. */
  private readonly outdoor = new Map<number, number>();
  /** Latest verdicts per `meter:system`, for the status page. */
  readonly latest = new Map<string, ParamVerdict[]>();

  constructor(
    private readonly cfg: GatewayConfig,
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {
    const src = cfg.outdoorTemperature;
    if (src.source === 'meter' && src.meter) {
      const depth = Math.max(24, ...cfg.regimeMaps.map((m) => m.outdoorAveragingHours ?? 24));
      const rows = db
        .prepare("SELECT hour_start, json_extract(values_json, '$.tOutdoor.value') AS t FROM readings WHERE meter_id = ? AND json_extract(values_json, '$.tOutdoor.value') IS NOT NULL ORDER BY hour_start DESC LIMIT ?")
        .all(src.meter, depth * 8) as { hour_start: number; t: number }[];
      for (const r of rows) this.outdoor.set(r.hour_start * 1000, r.t);
    }
  }

  /** Outdoor temperature from another source (Node-RED `gkh-outdoor`, a weather service …). */
  feedOutdoor(atMs: number, celsius: number): void {
    this.outdoor.set(Math.floor(atMs / HOUR_MS) * HOUR_MS, celsius);
    this.trim();
  }

  /** Verdict-change events for `r` (empty when its heat system has no regime map). */
  verdicts = (r: HourlyRecord): GatewayEvent[] => {
    const src = this.cfg.outdoorTemperature;
    const t = r.values.tOutdoor;
    if (t && (src.source === 'meter' ? src.meter === undefined || src.meter === r.meterId : false)) this.outdoor.set(r.hourStart * 1000, t.value);
    const key = `${r.meterId}:${r.system}`;
    const prev = JSON.parse(getMeta(this.db, `verdicts:${key}`) ?? '{}') as VerdictState;
    const j = judgeRecord(this.cfg, r, this.outdoor, prev);
    if (!j) return [];
    this.latest.set(key, j.verdicts);
    setMeta(this.db, `verdicts:${key}`, JSON.stringify(j.state));
    this.trim();
    const events = j.events;
    return events.map((e) => ({ at: this.now(), type: e.type, meterId: r.meterId, data: { ...e.body } }));
  };

  /** Verdicts of the newest judged hour of a heat system, `param → verdict`. */
  summary(meterId: string, system: number): Record<string, string> | undefined {
    const v = this.latest.get(`${meterId}:${system}`);
    return v ? Object.fromEntries(v.map((x) => [x.param, x.verdict])) : undefined;
  }

  private trim(): void {
    if (this.outdoor.size < 2000) return;
    const keys = [...this.outdoor.keys()].sort((a, b) => a - b);
    for (const k of keys.slice(0, keys.length - 1000)) this.outdoor.delete(k);
  }
}
