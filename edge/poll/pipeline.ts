/**
 * Where readings become evidence: each hourly record and each event goes into the store and the
 * evidence log in ONE transaction (a crash leaves both or neither). A record already stored for that
 * meter/system/hour is skipped, so re-reading an archive never duplicates an hour.
 */
import type { EventBus, GatewayEvent } from '../bus.js';
import type { Clock } from '../clock.js';
import type { HourlyRecord } from '../drivers/types.js';
import { insertEvent, insertReading, type Db } from '../store/index.js';
import { encodeHourly, makeEntry, type CanonicalEntry, type EntryType } from '../log/index.js';

/** What the pipeline needs of the evidence log: append inside the caller's transaction, checkpoint after. */
export interface EvidenceSink {
  /** Appends entries (objects canonicalised by the log, or already canonical from `encodeHourly`); returns their indices. */
  append(entries: (object | CanonicalEntry)[]): number[];
  /** Signs and stores a checkpoint over everything appended so far. */
  checkpoint(): unknown;
}

/** Regime checks hook: given a stored record, the verdict-change events to log with it. */
export type VerdictHook = (record: HourlyRecord) => GatewayEvent[];

export interface PipelineOptions {
  gatewayId: string;
  timeZone: string;
  clock: Clock;
  bus: EventBus;
  verdicts?: VerdictHook;
  /**
   * Coalesce checkpoints: sign one at most this many ms after new entries instead of one per batch
   * (32 meters closing an hour would otherwise make 32 checkpoints and 32 extra fsyncs). 0 = at once.
   */
  checkpointDelayMs?: number;
}

export class Pipeline {
  constructor(
    private readonly db: Db,
    private readonly log: EvidenceSink,
    private readonly opts: PipelineOptions,
  ) {}

  /**
   * Stores and logs `records` (one transaction for the batch), then checkpoints. Returns how many
   * were new. Meter clock (unix s) is kept with each record when known.
   */
  storeHourly(records: HourlyRecord[], meterClock?: number): { stored: number; skipped: number } {
    const emitted: { kind: 'hourly'; rec: HourlyRecord; idx: number }[] = [];
    const events: { ev: GatewayEvent; idx: number }[] = [];
    let skipped = 0;
    const run = this.db.transaction(() => {
      for (const r of records) {
        const exists = this.db.prepare('SELECT 1 FROM readings WHERE meter_id = ? AND system = ? AND hour_start = ?').get(r.meterId, r.system, r.hourStart);
        if (exists) {
          skipped++;
          continue;
        }
        const [idx] = this.log.append([encodeHourly(this.opts.gatewayId, { ...r, meterClock }, this.opts.timeZone, this.opts.clock.now())]);
        insertReading(this.db, { ...r, meterClock: meterClock ?? null, logIndex: idx! });
        emitted.push({ kind: 'hourly', rec: r, idx: idx! });
        for (const ev of this.opts.verdicts?.(r) ?? []) events.push({ ev, idx: this.insertEventTx(ev) });
      }
    });
    run();
    if (emitted.length > 0 || events.length > 0) this.checkpointSoon();
    for (const e of emitted) this.opts.bus.emit('hourly', e.rec, e.idx);
    for (const e of events) this.opts.bus.emit('event', e.ev, e.idx);
    return { stored: emitted.length, skipped };
  }

  /** Stores and logs one event (own transaction), checkpoints, and announces it. Returns its log index. */
  storeEvent(ev: GatewayEvent): number {
    const idx = this.db.transaction(() => this.insertEventTx(ev))();
    this.checkpointSoon();
    this.opts.bus.emit('event', ev, idx);
    return idx;
  }

  private cpTimer: NodeJS.Timeout | undefined;

  private checkpointSoon(): void {
    const delay = this.opts.checkpointDelayMs ?? 0;
    if (delay <= 0) {
      this.log.checkpoint();
      return;
    }
    this.cpTimer ??= setTimeout(() => {
      this.cpTimer = undefined;
      this.log.checkpoint();
    }, delay);
  }

  /** Signs the pending coalesced checkpoint now (before stop or a new pipeline). */
  flush(): void {
    if (!this.cpTimer) return;
    clearTimeout(this.cpTimer);
    this.cpTimer = undefined;
    this.log.checkpoint();
  }

  /** Logs an arbitrary entry body (config change, boot) as an event row too. */
  private insertEventTx(ev: GatewayEvent): number {
    const body: Record<string, unknown> = ev.meterId !== undefined ? { meterId: ev.meterId, ...ev.data } : { ...ev.data };
    const entry = makeEntry(ev.type as EntryType, this.opts.gatewayId, body, ev.at);
    const [idx] = this.log.append([entry]);
    insertEvent(this.db, { at: ev.at, type: ev.type, meterId: ev.meterId ?? null, data: ev.data, logIndex: idx! });
    return idx!;
  }
}
