/**
 * Verdict-change events for the evidence log (type `regime.verdict`): only changes are logged, so a month
 * of steady supply costs nothing and every change of state has its exact hour, values and map.
 */
import type { ParamVerdict, RegimeParam, VerdictKind } from './verdict.js';

/** Body of a `regime.verdict` log entry. `hourStart` ISO-8601 UTC. */
export interface VerdictEventBody {
  meterId: string;
  system: number;
  mapId: string;
  hourStart: string;
  param: RegimeParam;
  /** Previous verdict of this parameter; null when there was none (first judged hour, or a new parameter). */
  from: VerdictKind | null;
  to: VerdictKind;
  expected: number | null;
  measured: number | null;
  deviation: number | null;
  low: number | null;
  high: number | null;
}

export interface VerdictEvent {
  type: 'regime.verdict';
  body: VerdictEventBody;
}

/** Last verdict per parameter of one heat system. */
export type VerdictState = Partial<Record<RegimeParam, VerdictKind>>;

/**
 * The events to log when `next` follows the state `prev`: one per parameter whose verdict changed.
 * A parameter seen for the first time (no previous verdict) yields an event only when it is not `ok`,
 * so a fresh start with good supply logs nothing. Returns the events and the new state.
 */
export function verdictChanges(
  prev: VerdictState,
  next: readonly ParamVerdict[],
  ctx: { meterId: string; system: number; mapId: string; hourStart: number },
): { events: VerdictEvent[]; state: VerdictState } {
  const state: VerdictState = { ...prev };
  const events: VerdictEvent[] = [];
  for (const v of next) {
    const from = prev[v.param] ?? null;
    state[v.param] = v.verdict;
    if (from === v.verdict || (from === null && v.verdict === 'ok')) continue;
    events.push({
      type: 'regime.verdict',
      body: {
        meterId: ctx.meterId,
        system: ctx.system,
        mapId: ctx.mapId,
        hourStart: new Date(ctx.hourStart).toISOString(),
        param: v.param,
        from,
        to: v.verdict,
        expected: v.expected,
        measured: v.measured,
        deviation: v.deviation,
        low: v.low,
        high: v.high,
      },
    });
  }
  return { events, state };
}
