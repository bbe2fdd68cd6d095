/**
 * One meter's polling: identity and clock each cycle, then every closed hour since the last stored one
 * (backfill up to the archive depth after any outage), through the bus queue in chunks so other meters
 * on the same line interleave. Comm lost/restored, identity change and clock drift become events.
 */
import type { EventBus, GatewayEvent } from '../bus.js';
import type { Clock } from '../clock.js';
import type { MeterConfig } from '../config/index.js';
import type { CurrentReading, HourlyRecord, MeterDriver, MeterIdentity } from '../drivers/types.js';
import { isGkhError } from '../errors.js';
import type { Logger } from '../logger.js';
import { getMeta, lastStoredHour, setMeta, type Db } from '../store/index.js';
import type { BusQueue } from './bus-queue.js';
import { integrate } from './integrate.js';
import type { Pipeline } from './pipeline.js';
import { getSample, putSample } from './samples.js';

const HOUR = 3600;
/** Hours read per bus transaction group: a long backfill yields the line to other meters between chunks. */
export const CHUNK_HOURS = 24;

/** What the status page shows of a meter. */
export interface MeterState {
  meterId: string;
  link: 'unknown' | 'ok' | 'lost';
  mode: 'archive' | 'integrated' | 'unknown';
  lastOkAt?: number;
  lastError?: { code: string; message: string; at: number };
  consecutiveFailures: number;
  identity?: { serial: string; model: string; manufacturer?: string; firmware?: string };
  /** Meter clock minus gateway clock, seconds, at the last identify. */
  clockDriftSeconds?: number;
  lastHour: Record<number, number | undefined>;
  current?: CurrentReading;
  polls: number;
  errors: Record<string, number>;
}

export interface PollerDeps {
  queue: BusQueue;
  driver: MeterDriver;
  pipeline: Pipeline;
  db: Db;
  clock: Clock;
  bus: EventBus;
  log: Logger;
}

export class MeterPoller {
  readonly state: MeterState;
  private driftExceeded = false;

  constructor(
    readonly meter: MeterConfig,
    private readonly d: PollerDeps,
  ) {
    this.state = { meterId: meter.id, link: 'unknown', mode: 'unknown', consecutiveFailures: 0, lastHour: {}, polls: 0, errors: {} };
    for (const h of meter.heatSystems) this.state.lastHour[h.system] = lastStoredHour(d.db, meter.id, h.system);
    const lost = getMeta(d.db, `link:${meter.id}`);
    if (lost === 'lost') this.state.link = 'lost';
  }

  /**
   * One hourly cycle. Never throws: failures are counted, logged and turned into events. `signal`
   * stops a long backfill between bus transactions (shutdown, new config); what was read is stored.
   */
  async cycle(signal?: AbortSignal): Promise<void> {
    this.state.polls++;
    try {
      const id = await this.d.queue.run(() => this.d.driver.identify());
      this.onIdentity(id);
      if (this.state.mode !== 'integrated') {
        try {
          await this.readArchive(id.meterClock, signal);
          this.state.mode = 'archive';
        } catch (e) {
          if (!isGkhError(e, 'DRIVER_NO_ARCHIVE')) throw e;
          this.state.mode = 'integrated';
        }
      }
      if (this.state.mode === 'integrated') await this.sampleBoundary();
      this.onOk();
    } catch (e) {
      this.onFailure(e);
    }
  }

  /** Reads current values for the status page (not logged). Failures count like poll failures. */
  async readCurrent(): Promise<void> {
    try {
      const cur = await this.d.queue.run(() => this.d.driver.readCurrent());
      this.state.current = cur;
      this.d.bus.emit('current', this.meter.id, cur);
      this.onOk();
    } catch (e) {
      this.onFailure(e);
    }
  }

  /** Newest closed hour boundary (exclusive end of what may be read), unix seconds. */
  private closedUntil(): number {
    return Math.floor(this.d.clock.now() / 1000 / HOUR) * HOUR;
  }

  private async readArchive(meterClock?: number, signal?: AbortSignal): Promise<void> {
    const until = this.closedUntil();
    const depthStart = until - this.meter.poll.archiveDepthHours * HOUR;
    const systems = this.meter.heatSystems.map((h) => h.system);
    const starts = systems.map((s) => {
      const last = lastStoredHour(this.d.db, this.meter.id, s);
      return Math.max(depthStart, last === undefined ? depthStart : last + HOUR);
    });
    let from = Math.min(...starts);
    while (from < until && !signal?.aborted) {
      const to = Math.min(until, from + CHUNK_HOURS * HOUR);
      const recs: HourlyRecord[] = await this.d.queue.run(() => this.d.driver.readHourly(from, to));
      // The poller, not the driver, names the meter: records are filed under the configured id.
      const wanted = recs.filter((r) => systems.includes(r.system) && r.hourStart >= from && r.hourStart < to).map((r) => ({ ...r, meterId: this.meter.id }));
      const res = this.d.pipeline.storeHourly(wanted, meterClock);
      if (res.stored > 0) this.d.log.info('hours stored', { meter: this.meter.id, from: new Date(from * 1000).toISOString(), to: new Date(to * 1000).toISOString(), stored: res.stored, skipped: res.skipped });
      for (const r of wanted) this.state.lastHour[r.system] = Math.max(this.state.lastHour[r.system] ?? 0, r.hourStart);
      from = to;
    }
  }

  /** Integrated mode: sample cumulative registers for the current boundary, derive the closed hour. */
  private async sampleBoundary(): Promise<void> {
    // The sample stands for the boundary at which the read began (a slow optical readout may end later).
    const boundary = this.closedUntil();
    const cur = await this.d.queue.run(() => this.d.driver.readCurrent());
    this.state.current = cur;
    const recs: HourlyRecord[] = [];
    for (const sys of cur.systems) {
      if (!this.meter.heatSystems.some((h) => h.system === sys.system)) continue;
      putSample(this.d.db, { meterId: this.meter.id, system: sys.system, boundary, takenAt: cur.readAt, meterClock: cur.meterClock, values: sys.values, rawFrames: cur.rawFrames });
      const prev = getSample(this.d.db, this.meter.id, sys.system, boundary - HOUR);
      const now = getSample(this.d.db, this.meter.id, sys.system, boundary);
      if (prev && now) recs.push({ ...integrate(prev, now, this.d.clock.now()), meterId: this.meter.id });
    }
    if (recs.length > 0) this.d.pipeline.storeHourly(recs, cur.meterClock);
    for (const r of recs) this.state.lastHour[r.system] = Math.max(this.state.lastHour[r.system] ?? 0, r.hourStart);
  }

  private onIdentity(id: MeterIdentity): void {
    this.state.identity = { serial: id.serial, model: id.model, manufacturer: id.manufacturer, firmware: id.firmware };
    const key = `identity:${this.meter.id}`;
    const known = getMeta(this.d.db, key);
    const now = JSON.stringify({ serial: id.serial, model: id.model, manufacturer: id.manufacturer ?? null, firmware: id.firmware ?? null });
    if (known !== now) {
      const ev: GatewayEvent = { at: this.d.clock.now(), type: 'meter.identity', meterId: this.meter.id, data: { ...(JSON.parse(now) as object), previous: known ? (JSON.parse(known) as object) : null, rawFrames: id.rawFrames } };
      this.d.pipeline.storeEvent(ev);
      setMeta(this.d.db, key, now);
      if (known) this.d.log.warn('meter identity changed', { meter: this.meter.id, previous: known, now });
    }
    if (id.meterClock !== undefined) {
      const drift = Math.round(id.meterClock - this.d.clock.now() / 1000);
      this.state.clockDriftSeconds = drift;
      const exceeded = Math.abs(drift) > this.meter.poll.clockDriftLimitSeconds;
      if (exceeded !== this.driftExceeded) {
        this.driftExceeded = exceeded;
        this.d.pipeline.storeEvent({ at: this.d.clock.now(), type: 'clock.drift', meterId: this.meter.id, data: { driftSeconds: drift, limitSeconds: this.meter.poll.clockDriftLimitSeconds, exceeded } });
      }
    }
  }

  private onOk(): void {
    this.state.lastOkAt = this.d.clock.now();
    this.state.consecutiveFailures = 0;
    if (this.state.link === 'lost') {
      this.d.pipeline.storeEvent({ at: this.d.clock.now(), type: 'comm.restored', meterId: this.meter.id, data: {} });
      this.d.log.info('meter answers again', { meter: this.meter.id });
    }
    if (this.state.link !== 'ok') setMeta(this.d.db, `link:${this.meter.id}`, 'ok');
    this.state.link = 'ok';
    this.d.bus.emit('poll', this.meter.id, true);
  }

  private onFailure(e: unknown): void {
    const code = isGkhError(e) ? e.code : 'UNEXPECTED';
    const message = e instanceof Error ? e.message : String(e);
    this.state.consecutiveFailures++;
    this.state.errors[code] = (this.state.errors[code] ?? 0) + 1;
    this.state.lastError = { code, message, at: this.d.clock.now() };
    this.d.log.warn('poll failed', { meter: this.meter.id, code, message, consecutive: this.state.consecutiveFailures });
    if (this.state.link !== 'lost') {
      this.state.link = 'lost';
      setMeta(this.d.db, `link:${this.meter.id}`, 'lost');
      this.d.pipeline.storeEvent({ at: this.d.clock.now(), type: 'comm.lost', meterId: this.meter.id, data: { code, message } });
    }
    this.d.bus.emit('poll', this.meter.id, false, { code, message });
    if (code === 'UNEXPECTED') this.d.log.error('unexpected error while polling', { meter: this.meter.id, stack: e instanceof Error ? e.stack : undefined });
  }
}
