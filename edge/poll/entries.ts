/**
 * Evidence-log entry bodies the poll layer produces (envelope and types: docs/protocol.md and
 * edge/log). Times are ISO-8601 UTC with milliseconds.
 */
import type { HourlyRecord } from '../drivers/types.js';

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The envelope every log entry has. */
export interface Envelope<B = Record<string, unknown>> {
  v: 1;
  type: string;
  gw: string;
  at: string;
  body: B;
}

/** The `hourly` entry of one record. */
export function hourlyEntry(gw: string, tz: string, at: number, r: HourlyRecord, meterClock?: number): Envelope {
  const body: Record<string, unknown> = {
    meterId: r.meterId,
    system: r.system,
    hourStart: iso(r.hourStart * 1000),
    tz,
    values: r.values,
    flags: r.flags,
    source: r.source,
    rawFrames: r.rawFrames,
    readAt: iso(r.readAt),
  };
  if (meterClock !== undefined) body.meterClock = iso(meterClock * 1000);
  return { v: 1, type: 'hourly', gw, at: iso(at), body };
}

/** Any other entry type (events). */
export function eventEntry(gw: string, at: number, type: string, body: Record<string, unknown>): Envelope {
  return { v: 1, type, gw, at: iso(at), body };
}
